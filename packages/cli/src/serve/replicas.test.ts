// Two `serve` replicas on one PostgreSQL store: the same webhook redelivery reaching both at once
// stores one feedback; /healthz names each replica and its part in the claimed work.
import { postgresStore } from '@closedloop/core/postgres';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { startServer } from './server.ts';
import { TYPEFORM_SECRET, testConfig, typeformPayload, typeformSignature } from './test-fixture.ts';

const url = inject('pgUrl');
const schema = `serve_rep_${process.pid}_${Date.now().toString(36)}`;
const env = { TF_SECRET: TYPEFORM_SECRET, DL_KEY: 'x', TEAM_DB_URL: url };
// Reads the replicas' tables through a store of its own (its SQL executor).
const reader = postgresStore({ connectionString: url, schema, max: 1 });
afterAll(async () => {
  await reader.close();
});
const sql = (text: string) => reader.sql!.all(text);

const replica = (id: string) =>
  startServer(testConfig({ store: { postgres: { url: { env: 'TEAM_DB_URL' }, schema } } }), {
    logger: () => {},
    env,
    replica: { id },
  });

describe('serve replicas on one PostgreSQL store', () => {
  test('the same webhook delivered to two replicas at once is stored once; both answer success', async () => {
    const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
    try {
      const duplicates: boolean[][] = [];
      for (let i = 0; i < 25; i++) {
        const body = JSON.stringify(typeformPayload(`tok-${i}`, i % 7));
        const send = (base: string) =>
          fetch(`${base}/v1/inbound/typeform`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'typeform-signature': typeformSignature(body) },
            body,
          });
        const answers = await Promise.all([send(a.url), send(b.url)]);
        const bodies = (await Promise.all(answers.map((r) => r.json()))) as {
          results: { duplicate: boolean }[];
        }[];
        // Both answer success; one replica stored it, the other found it there.
        expect(answers.map((r) => r.status)).toEqual([200, 200]);
        duplicates.push(bodies.map((x) => x.results[0]!.duplicate).sort());
      }
      expect(duplicates).toEqual(Array.from({ length: 25 }, () => [false, true]));
      const rows = await sql(
        `SELECT count(*)::int AS n, count(DISTINCT response_id)::int AS d FROM "${schema}".feedback`,
      );
      expect(rows).toEqual([{ n: 25, d: 25 }]);
      expect(await sql(`SELECT count(*)::int AS n FROM "${schema}".loops`)).toEqual([{ n: 25 }]);
      const health = await Promise.all([a, b].map(async (s) => (await fetch(`${s.url}/healthz`)).json()));
      expect(health).toEqual([
        {
          status: 'ok',
          store: 'postgres',
          replica: { id: 'replica-a', shared: true, leases: expect.any(Object) },
        },
        {
          status: 'ok',
          store: 'postgres',
          replica: { id: 'replica-b', shared: true, leases: expect.any(Object) },
        },
      ]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

// The grep test of the embedded runtime: loops for test customers run through `serve` (SQLite and
// PostgreSQL), one with a mail server refusing them, staff comments naming them; then they are
// erased, and every log line and every table (the raw SQLite file and WAL) is searched for their
// emails and comments: nothing.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ServeConfigInput } from '@closedloop/config';
import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { testSmtp } from '../../../connectors/src/__tests__/smtp.ts';
import { createToken } from './auth/tokens.ts';
import { startServer } from './server.ts';
import { people, segments } from './test-fixture.ts';

const run = `${process.pid}${Date.now().toString(36)}`;
const customers = [0, 1, 2].map((i) => ({
  email: `grep.customer${i}-${run}@example.es`,
  name: `Grepcliente${i} Borrado`,
  comment: `Queja confidencial ${i} ${run}`,
}));
const traces = customers.flatMap((c) => [c.email, c.name.split(' ')[0]!, c.comment]);

async function runAndErase(store: ServeConfigInput['store'], env: NodeJS.ProcessEnv): Promise<string[]> {
  const smtp = await testSmtp({ tls: false });
  const logs: string[] = [];
  const server = await startServer(
    parseConfig(
      {
        store,
        directory: people,
        segments,
        connectors: {
          email: {
            from: 'care@shop.example',
            transport: { kind: 'smtp', host: '127.0.0.1', port: smtp.port, secure: false },
          },
        },
        http: { port: 0 },
      },
      process.cwd(),
    ),
    { logger: (level, message, fields) => logs.push(JSON.stringify({ level, message, fields })), env },
  );
  const { token } = await createToken(server.runtime.loop.store, { name: 'dpo', scopes: ['admin'] });
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    await res.text();
    return res;
  };
  try {
    for (const [i, c] of customers.entries()) {
      // The promoter's thank-you is refused by the mail server, quoting the address.
      await server.runtime.loop.idle();
      if (i === 2)
        smtp.failNext({
          stage: 'rcpt',
          code: 550,
          message: `5.1.1 <${c.email}>: Recipient address rejected`,
        });
      const r = await call('/v1/feedback', {
        source: { tool: 'grep', responseId: `${run}-${i}` },
        customer: { email: c.email, name: c.name, segment: 'spain' },
        nps: i === 2 ? 10 : 2,
        comment: c.comment,
        language: 'es',
      });
      const captured = (await server.runtime.loop.privacy.export({ email: c.email })).records.cases[0];
      expect(r.status).toBe(201);
      if (captured)
        await call(`/v1/cases/${captured.id}/comment`, { body: `Llamé a ${c.name} (${c.email})` });
    }
    await server.runtime.loop.idle();
    // The refused thank-you did fail (the error path ran).
    const dead = await server.runtime.loop.store.listDeliveries({ status: 'dead' });
    expect(dead.some((d) => d.lastError?.includes('Recipient address rejected'))).toBe(true);
    for (const c of customers) expect((await call('/v1/privacy/erase', { email: c.email })).status).toBe(200);
    await server.runtime.loop.idle();
  } finally {
    await server.close();
    await smtp.stop();
  }
  return logs;
}

const hits = (text: string) =>
  traces.filter((t) => text.includes(t) || text.includes(Buffer.from(t).toString('latin1')));

describe('grep after erasure (embedded runtime)', { timeout: 60_000 }, () => {
  test('SQLite: no log line, no byte of the file or its WAL names them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'grep-')), 'loop.sqlite');
    const logs = await runAndErase(path, {});
    expect(hits(logs.join('\n'))).toEqual([]);
    const raw = [path, `${path}-wal`]
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p).toString('latin1'))
      .join('');
    expect(raw.length).toBeGreaterThan(0);
    expect(hits(raw)).toEqual([]);
  });

  describe('PostgreSQL', () => {
    const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 2 });
    const schema = `grep_${process.pid}_${Date.now().toString(36)}`;
    afterAll(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });
    test('no log line and no row of any table names them', async () => {
      const logs = await runAndErase(
        { postgres: { url: { env: 'GREP_DB' }, schema } },
        { GREP_DB: inject('pgUrl') },
      );
      expect(hits(logs.join('\n'))).toEqual([]);
      const tables = (
        await pool.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        )
      ).rows.map((r) => r.table_name);
      expect(tables).toEqual(
        expect.arrayContaining(['feedback', 'cases', 'loops', 'deliveries', 'documents']),
      );
      let all = '';
      for (const t of tables) {
        const rows = await pool.query(`SELECT row_to_json(x)::text AS j FROM "${schema}"."${t}" x`);
        all += rows.rows.map((r) => r.j).join('\n');
      }
      expect(all).toContain('grep');
      expect(hits(all)).toEqual([]);
    });
  });
});

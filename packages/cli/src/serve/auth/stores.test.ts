// What a caller may see is enforced by the store's own query: the same on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@closedloop/config';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startServer } from '../server.ts';
import { devSignIn, people, segments } from '../test-fixture.ts';
import { raw } from './test-kit.ts';
import { createToken } from './tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-scope-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const directory = [
  ...people,
  { id: 'alex', name: 'Alex Agent', email: 'alex@example.com', roles: ['agent'] },
];
const stores = {
  sqlite: () => ({ store: join(dir, 'scope.sqlite'), env: {} }),
  postgres: () => ({
    store: {
      postgres: { url: { env: 'SCOPE_PG' }, schema: `scope_${process.pid}_${Date.now().toString(36)}` },
    },
    env: { SCOPE_PG: inject('pgUrl') },
  }),
};

describe.each(Object.keys(stores) as (keyof typeof stores)[])('case scope on %s', (kind) => {
  it('shows managers their subtree and agents their own cases, in lists, counts, searches and exports', async () => {
    const { store, env } = stores[kind]();
    const server = await startServer(
      parseConfig({ store, directory, segments, http: { port: 0 } }, process.cwd()),
      { logger: () => {}, env },
    );
    try {
      const loop = server.runtime.loop;
      const ids: Record<string, string> = {};
      for (const [key, segment] of [
        ['madrid', 'spain'],
        ['roma', 'italy'],
        ['milano', 'italy'],
      ] as const) {
        const r = await loop.capture({
          source: { tool: 'api', responseId: `${kind}-${key}` },
          customer: { email: `${key}@example.com`, segment },
          nps: 1,
        });
        ids[key] = r.case!.id;
      }
      await loop.cases.reassign(ids.milano!, 'alex', { actor: 'ines' });
      const host = new URL(server.url).host;
      const get = async (who: Record<string, string>, path: string) =>
        raw(server.url, 'GET', path, { host, ...who });

      const ines = await devSignIn(server.url, 'ines');
      const list = await get(ines, '/v1/cases');
      expect(list.json.cases.map((c: { id: string }) => c.id).sort()).toEqual([ids.roma, ids.milano].sort());
      expect(list.json.countsByStatus.new).toBe(2);
      expect((await get(ines, '/v1/cases?search=madrid%40example.com')).json.total).toBe(0);
      expect((await get(ines, '/v1/cases?segment=spain')).json.total).toBe(0);
      const csv = (await get(ines, '/v1/cases.csv')).text;
      expect(csv).toContain('roma@example.com');
      expect(csv).not.toContain('madrid@example.com');

      const alex = await devSignIn(server.url, 'alex');
      const own = await get(alex, '/v1/cases');
      expect(own.json.cases.map((c: { id: string }) => c.id)).toEqual([ids.milano]);
      expect((await get(alex, '/v1/cases?owner=ines')).json.total).toBe(0);
      expect((await get(alex, `/v1/cases/${ids.roma}`)).status).toBe(403);
      const json = JSON.parse((await get(alex, '/v1/cases.json')).text) as { id: string }[];
      expect(json.map((c) => c.id)).toEqual([ids.milano]);

      const eva = await devSignIn(server.url, 'eva');
      expect((await get(eva, '/v1/cases')).json.total).toBe(3);
      const { token } = await createToken(loop.store, { name: 'reader', scopes: ['read'] });
      expect((await get({ authorization: `Bearer ${token}` }, '/v1/cases')).json.total).toBe(3);
    } finally {
      await server.close();
    }
  });
});

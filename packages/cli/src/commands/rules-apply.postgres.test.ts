// `closedloop rules apply --config` on a PostgreSQL store: the config's store, not only SQLite.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClosedLoop } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import { createRulesDecider } from '@closedloop/rules';
import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { applyCommand, type RulesIo } from './rules.ts';

const examples = join(import.meta.dirname, '../../../../examples/rules');
const schema = `cli_apply_${process.pid}_${Date.now().toString(36)}`;
const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 2 });
afterAll(async () => {
  delete process.env.RULES_APPLY_TEST_PG;
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

it('re-prioritises the open cases of the PostgreSQL store the config names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-apply-pg-'));
  const segments = JSON.parse(readFileSync(join(examples, 'segments.json'), 'utf8'));
  const people = ['cx-director', 'emea-lead', 'ana', 'luis', 'giulia', 'piotr'].map((id) => ({
    id,
    name: id,
    email: `${id}@example.com`,
  }));
  const before = createClosedLoop({
    store: postgresStore({ pool, schema }),
    decider: createRulesDecider(join(examples, 'cx-program')),
    directory: people,
    segments,
    autoStart: false,
  });
  const captured = await before.capture({
    source: { tool: 't', responseId: '1' },
    customer: { email: 'jan@example.pl', segment: 'pl' },
    nps: 2,
  });
  await before.close();
  expect(captured.case?.priority).toBe('high');

  const config = join(dir, 'closedloop.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: { postgres: { url: { env: 'RULES_APPLY_TEST_PG' }, schema } },
      directory: people,
      segments,
    }),
  );
  let out = '';
  const io: RulesIo = {
    out: (t) => {
      out += t;
    },
    err: () => {},
    progress: false,
  };
  process.env.RULES_APPLY_TEST_PG = inject('pgUrl');
  const ok = await applyCommand(
    { config, rules: join(examples, 'cx-program-next'), actor: 'cx-director' },
    io,
  );
  expect(ok).toBe(true);
  expect(out).toContain('1 change(s), 1 applied');

  const after = postgresStore({ pool, schema });
  const c = await after.getCase(captured.case!.id);
  expect(c?.priority).toBe('critical');
  expect(c?.audit.at(-1)).toMatchObject({ actor: 'cx-director', before: 'high', after: 'critical' });
});

import { parseConfig } from '@closedloop/config';
import { expect, inject, test } from 'vitest';
import { createRuntime } from './runtime.ts';

const org = {
  directory: [{ id: 'ana', name: 'Ana', email: 'ana@shop.example' }],
  segments: [{ id: 'spain', name: 'Spain', managers: ['ana'] }],
};
const schema = `serve_${process.pid}_${Date.now().toString(36)}`;
const config = () =>
  parseConfig({ ...org, store: { postgres: { url: { env: 'TEAM_DB_URL' }, schema } } }, process.cwd());
const quiet = { logger: () => {} };

test('a config can put the loop on PostgreSQL, the connection string read from the environment', async () => {
  const env = { TEAM_DB_URL: inject('pgUrl') };
  const first = createRuntime(config(), { ...quiet, env });
  const { case: c } = await first.loop.capture({
    source: { tool: 'serve-pg', responseId: 'r1' },
    customer: { email: 'marta@example.es', segment: 'spain' },
    nps: 2,
  });
  await first.close();
  // A second process (or a restart) sees the same case.
  const second = createRuntime(config(), { ...quiet, env });
  expect((await second.loop.cases.get(c!.id)).owner).toBe('ana');
  await second.close();
});

test('a missing connection-string variable stops the start and names it', () => {
  expect(() => createRuntime(config(), { ...quiet, env: {} })).toThrow(
    /store\.postgres\.url: the environment variable TEAM_DB_URL is not set/,
  );
});

test('a PostgreSQL store with a password in the config file is refused', () => {
  expect(() =>
    parseConfig({ ...org, store: { postgres: { url: 'postgres://u:secret@h/db' } } }, process.cwd()),
  ).toThrow(/store/);
});

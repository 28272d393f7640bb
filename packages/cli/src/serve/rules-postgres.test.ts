import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@closedloop/config';
import { expect, inject, test } from 'vitest';
import { pullCommand, pushCommand } from '../commands/rules-versions.ts';
import { routeV1, routeV2 } from './rules-test-fixture.ts';
import { createRuntime } from './runtime.ts';
import { createTestApp } from './test-fixture.ts';

const org = {
  directory: [
    { id: 'sara', name: 'Sara', email: 'sara@shop.example', roles: ['rulesEditor'] },
    { id: 'pablo', name: 'Pablo', email: 'pablo@shop.example' },
  ],
  segments: [{ id: 'spain', name: 'Spain', managers: ['sara'] }],
};
const schema = `rules_${process.pid}_${Date.now().toString(36)}`;
const configInput = { ...org, store: { postgres: { url: { env: 'RULES_DB_URL' }, schema } } };
const quiet = { logger: () => {} };

test('on PostgreSQL, a published version survives a restart, and a rollback swaps the rules back', async () => {
  const env = { RULES_DB_URL: inject('pgUrl') };
  const first = createRuntime(parseConfig(configInput, process.cwd()), { ...quiet, env });
  const app = createTestApp(
    { loop: first.loop, rules: first.rules, console: false },
    parseConfig(configInput, process.cwd()),
  );
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-closedloop-actor': 'sara' },
      body: JSON.stringify(body),
    });
  expect((await post('/v1/rules/publish', { files: { route: routeV1 }, comment: 'one' })).status).toBe(201);
  expect((await post('/v1/rules/publish', { files: { route: routeV2 }, comment: 'two' })).status).toBe(201);
  await first.close();

  // A restart (or another replica) runs the current version from the store.
  const second = createRuntime(parseConfig(configInput, process.cwd()), { ...quiet, env });
  await second.rules.refresh();
  const r1 = await second.loop.capture({
    source: { tool: 'pg', responseId: 'a' },
    customer: { email: 'x@example.es', segment: 'spain' },
    nps: 1,
  });
  expect(r1.case).toMatchObject({ owner: 'sara', priority: 'critical' });
  const app2 = createTestApp(
    { loop: second.loop, rules: second.rules, console: false },
    parseConfig(configInput, process.cwd()),
  );
  const back = await app2.request('/v1/rules/rollback', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-closedloop-actor': 'sara' },
    body: JSON.stringify({ version: 'v1' }),
  });
  expect(await back.json()).toEqual({ version: 'v3', rollbackOf: 'v1' });
  const r2 = await second.loop.capture({
    source: { tool: 'pg', responseId: 'b' },
    customer: { email: 'x@example.es', segment: 'spain' },
    nps: 1,
  });
  expect(r2.case).toMatchObject({ owner: 'pablo', priority: 'high' });
  expect((await second.loop.getLoop(r2.loopId))?.snapshot.context.decision?.ruleSetVersion).toBe('v3');
  await second.close();

  // pull writes the current version as files; push publishes a folder as the next version.
  const dir = mkdtempSync(join(tmpdir(), 'rules-pg-'));
  const configFile = join(dir, 'closedloop.config.json');
  writeFileSync(configFile, JSON.stringify(configInput));
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), progress: false };
  expect(await pullCommand(join(dir, 'rules'), { config: configFile }, io, env)).toBe(true);
  expect(JSON.parse(readFileSync(join(dir, 'rules', 'route.json'), 'utf8'))).toEqual(routeV1);
  writeFileSync(join(dir, 'rules', 'route.json'), JSON.stringify(routeV2));
  expect(
    await pushCommand(join(dir, 'rules'), { config: configFile, comment: 'from git', actor: 'ci' }, io, env),
  ).toBe(true);
  expect(out.join('')).toContain('published v4');
  expect(await pullCommand(join(dir, 'v1'), { config: configFile, version: 'v1' }, io, env)).toBe(true);
  expect(JSON.parse(readFileSync(join(dir, 'v1', 'route.json'), 'utf8'))).toEqual(routeV1);
});

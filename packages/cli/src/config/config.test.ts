import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const people = [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }];
const segments = [{ id: 'es', name: 'Spain', managers: ['ana'] }];

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills in defaults and resolves paths against the config file', () => {
    write('people.json', people);
    const file = write('closedloop.config.json', { directory: 'people.json', segments });
    const config = loadConfig(file);
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 4100,
      bodyLimit: 1024 * 1024,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      maxConnections: 1000,
    });
    expect(config.auth).toBeUndefined();
    expect(config.store).toBe(resolve(dir, 'data/closedloop.sqlite'));
    expect(config.directory).toEqual(people);
    expect(config.inbound).toEqual({});
  });

  it('names the field and the fix for a bad value', () => {
    expect(issuesOf(() => parseConfig({ directory: people, segments, http: { port: 'abc' } }, dir))).toEqual([
      {
        path: 'http.port',
        message: expect.stringContaining('expected a whole number from 0 to 65535'),
      },
    ]);
  });

  it('refuses a secret written into the file instead of an environment variable name', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          directory: people,
          segments,
          connectors: {
            email: {
              from: 'cx@example.com',
              transport: { kind: 'smtp', host: 'smtp.example.com', user: 'cx', passwordEnv: 'hunter2!' },
            },
          },
          inbound: { typeform: { secret: 'abc' } },
        },
        dir,
      ),
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'connectors.email.transport.passwordEnv',
        'inbound.typeform.secretEnv',
        'inbound.typeform',
      ]),
    );
    expect(issues.find((i) => i.path === 'connectors.email.transport.passwordEnv')?.message).toContain(
      'NAME of an environment variable',
    );
    expect(issues.find((i) => i.path === 'inbound.typeform')?.message).toBe(
      'unknown field "secret": did you mean "secretEnv"?',
    );
  });

  it('suggests the key meant for a misspelt config key or segment key', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          directory: people,
          segments: [...segments, { id: 'mad', name: 'Madrid', parentId: 'es', managers: ['ana'] }],
          connector: {},
        },
        dir,
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '(root)', message: 'unknown field "connector": did you mean "connectors"?' },
        { path: 'segments[1]', message: 'unknown field "parentId": did you mean "parent"?' },
      ]),
    );
  });

  it('says which file and field of a people file is wrong', () => {
    write('bad-people.json', [{ id: 'x', name: 'X', email: 'not-an-email' }]);
    const issues = issuesOf(() => parseConfig({ directory: 'bad-people.json', segments }, dir));
    expect(issues[0]?.path).toBe('directory (bad-people.json) [0].email');
  });

  it('reports a file that is not JSON', () => {
    const file = write('broken.json', '{ "directory": ');
    expect(issuesOf(() => loadConfig(file))[0]?.message).toContain('not valid JSON');
  });

  it('requires the directory and segments', () => {
    const paths = issuesOf(() => parseConfig({}, dir)).map((i) => i.path);
    expect(paths).toEqual(['directory', 'segments']);
  });
});

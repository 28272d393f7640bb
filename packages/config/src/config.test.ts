import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configPath, loadConfig, parseConfig, secretValue } from './config.ts';

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

  it('refuses a secret written into the file, naming the field and the fix', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          directory: people,
          segments,
          connectors: {
            email: {
              from: 'cx@example.com',
              transport: { host: 'smtp.example.com', auth: { user: 'cx', pass: 'hunter2!' } },
            },
          },
          inbound: { typeform: { secret: 'abc' } },
        },
        dir,
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        {
          path: 'inbound.typeform.secret',
          message:
            'secrets never live in the config file: write { "env": "NAME" } and set the environment variable NAME',
        },
        {
          path: 'connectors.email.transport.auth.pass',
          message:
            'secrets never live in the config file: write { "env": "NAME" } and set the environment variable NAME',
        },
      ]),
    );
  });

  it("accepts the email connector's own SMTP options (TLS CA, pool, timeouts)", () => {
    const config = parseConfig(
      {
        directory: people,
        segments,
        connectors: {
          email: {
            from: 'cx@example.com',
            transport: {
              host: 'smtp.example.com',
              auth: { user: 'cx', pass: { env: 'SMTP_PASSWORD' } },
              pool: true,
              tls: { ca: '-----BEGIN CERTIFICATE-----' },
              connectionTimeoutMs: 5000,
            },
          },
        },
      },
      dir,
    );
    expect(config.connectors.email?.transport).toMatchObject({
      tls: { ca: '-----BEGIN CERTIFICATE-----' },
      pool: true,
      connectionTimeoutMs: 5000,
    });
    const typo = { form: 'cx@example.com', transport: { kind: 'directory', path: 'out' } };
    expect(
      issuesOf(() => parseConfig({ directory: people, segments, connectors: { email: typo } }, dir)),
    ).toEqual(
      expect.arrayContaining([
        { path: 'connectors.email', message: 'unknown field "form": did you mean "from"?' },
      ]),
    );
  });

  it('reads an old key with one warning naming the new key', () => {
    const warnings: string[] = [];
    const config = parseConfig(
      {
        directory: people,
        segments,
        store: { postgres: { urlEnv: 'TEAM_DB_URL' } },
        inbound: { typeform: { secretEnv: 'TF_SECRET' } },
        connectors: {
          email: {
            from: 'cx@example.com',
            transport: { kind: 'smtp', host: 'smtp.example.com', user: 'cx', passwordEnv: 'SMTP_PASSWORD' },
          },
        },
      },
      dir,
      'old.json',
      { onDeprecation: (m) => warnings.push(m) },
    );
    expect(config.store).toEqual({ postgres: { url: { env: 'TEAM_DB_URL' } } });
    expect(config.inbound.typeform?.secret).toEqual({ env: 'TF_SECRET' });
    expect(config.connectors.email?.transport).toMatchObject({
      auth: { user: 'cx', pass: { env: 'SMTP_PASSWORD' } },
    });
    expect(warnings).toContain(
      'old.json: "store.postgres.urlEnv" is deprecated: write "store.postgres.url: { "env": "TEAM_DB_URL" }" instead (the old key is read until the next release)',
    );
    expect(warnings.filter((w) => w.includes('inbound.typeform.secretEnv'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('transport.passwordEnv'))).toHaveLength(1);
    expect(config.deprecations).toHaveLength(warnings.length);
  });

  it('reads the old worker file with its keys moved under worker', () => {
    const warnings: string[] = [];
    const config = parseConfig(
      {
        ...{ directory: people, segments },
        temporal: { address: 'temporal:7233', taskQueue: 'cx' },
        rulesPath: 'rules',
        http: { port: 9000 },
        logLevel: 'WARN',
        connectors: [
          { type: 'email', from: 'cx@example.com', transport: { kind: 'directory', path: 'out' } },
        ],
        mirror: { postgres: { urlEnv: 'MIRROR_URL' } },
      },
      dir,
      'worker.json',
      { onDeprecation: (m) => warnings.push(m) },
    );
    expect(config.worker.temporal).toMatchObject({ address: 'temporal:7233', taskQueue: 'cx' });
    expect(config.worker.http.port).toBe(9000);
    expect(config.worker.logLevel).toBe('WARN');
    expect(config.rules).toBe(resolve(dir, 'rules'));
    expect(config.store).toEqual({ postgres: { url: { env: 'MIRROR_URL' }, schema: 'closedloop' } });
    expect(config.connectors.email?.from).toBe('cx@example.com');
    expect(warnings.some((w) => w.includes('"temporal" is deprecated: write "worker.temporal"'))).toBe(true);
  });

  it('loads a closedloop.config.ts (types stripped) and finds the default file', () => {
    const sub = mkdtempSync(join(dir, 'ts-'));
    writeFileSync(
      join(sub, 'closedloop.config.ts'),
      `interface Org { directory: unknown[]; segments: unknown[] }
const org: Org = { directory: ${JSON.stringify(people)}, segments: ${JSON.stringify(segments)} };
export default { ...org, http: { port: 4200 } };
`,
    );
    expect(loadConfig(join(sub, 'closedloop.config.ts')).http.port).toBe(4200);
    expect(configPath(undefined, sub)).toBe(join(sub, 'closedloop.config.ts'));
    expect(issuesOf(() => configPath(undefined, join(sub, 'nowhere')))[0]).toEqual({
      path: '--config',
      message:
        'no closedloop.config.json or closedloop.config.ts here: pass --config <file> (see docs/config.md)',
    });
  });

  it("names the variable and the field when a secret's environment variable is not set", () => {
    expect(issuesOf(() => secretValue({ env: 'NOT_SET_ANYWHERE' }, 'store.postgres.url', {}))).toEqual([
      {
        path: 'store.postgres.url',
        message: 'the environment variable NOT_SET_ANYWHERE is not set: export it and start again',
      },
    ]);
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

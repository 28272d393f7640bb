import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@closedloop/config';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createProgram } from '../../main.ts';
import { startServer } from '../server.ts';
import { devSignIn, people, segments } from '../test-fixture.ts';
import { raw } from './test-kit.ts';
import { TOKEN_KIND } from './tokens.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

/** Runs `closedloop …` in this process and returns what it printed. */
async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    await createProgram()
      .exitOverride()
      .parseAsync(['node', 'closedloop', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, err, code };
}

function writeConfig(name: string, config: object) {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ directory: people, segments, http: { port: 0 }, ...config }));
  return file;
}

const quiet = { logger: () => {} };

describe('closedloop tokens', () => {
  it('creates a token shown once, lists it without its secret, and revoking it locks the program out at once', async () => {
    const file = writeConfig('sqlite.json', { store: 'data/tokens.sqlite' });
    const created = await cli(
      'tokens',
      'create',
      '--name',
      'crm-sync',
      '--scopes',
      'read,write',
      '--config',
      file,
    );
    expect(created.code).toBe(0);
    const token = /^(clt_\S+)$/m.exec(created.out)?.[1];
    expect(token).toBeDefined();
    const listed = await cli('tokens', 'list', '--config', file);
    expect(listed.out).toMatch(/crm-sync\s+read,write/);
    expect(listed.out).not.toContain(token!.slice(-20));

    const server = await startServer(loadConfig(file), quiet);
    try {
      const stored = await server.runtime.loop.store.documents.list(TOKEN_KIND);
      expect(JSON.stringify(stored)).not.toContain(token!.slice(-20));
      const h = { host: new URL(server.url).host, authorization: `Bearer ${token}` };
      const capture = await raw(
        server.url,
        'POST',
        '/v1/feedback',
        { ...h, 'content-type': 'application/json' },
        JSON.stringify({
          source: { tool: 'api', responseId: 't1' },
          customer: { email: 'a@example.com', segment: 'spain' },
          nps: 1,
        }),
      );
      // read+write does not include capture: 403 naming it.
      expect(capture.status).toBe(403);
      expect(capture.json.error.details.need).toBe('capture');
      const { case: c } = await server.runtime.loop.capture({
        source: { tool: 'api', responseId: 't2' },
        customer: { email: 'b@example.com', segment: 'spain' },
        nps: 1,
      });
      const comment = await raw(
        server.url,
        'POST',
        `/v1/cases/${c!.id}/comment`,
        { ...h, 'content-type': 'application/json' },
        JSON.stringify({ body: 'Synced to the CRM' }),
      );
      expect(comment.status).toBe(200);
      expect(comment.json.comments[0].author).toBe('service:crm-sync');

      const revoked = await cli('tokens', 'revoke', 'crm-sync', '--config', file);
      expect(revoked.code).toBe(0);
      const after = await raw(server.url, 'GET', '/v1/cases', h);
      expect(after.status).toBe(401);
      expect(after.json.error.code).toBe('INVALID_TOKEN');
    } finally {
      await server.close();
    }
  });

  it('refuses an unknown scope or a bad name, naming the choices', async () => {
    const file = writeConfig('bad.json', { store: 'data/bad.sqlite' });
    const scope = await cli(
      'tokens',
      'create',
      '--name',
      'x',
      '--scopes',
      'read,everything',
      '--config',
      file,
    );
    expect(scope.code).toBe(1);
    expect(scope.err).toContain('unknown scope(s) "everything": use capture, read, write, admin');
    const name = await cli('tokens', 'create', '--name', 'Bad Name', '--scopes', 'read', '--config', file);
    expect(name.code).toBe(1);
    expect(name.err).toContain('token name');
    expect((await cli('tokens', 'revoke', 'nobody', '--config', file)).code).toBe(1);
  });
});

describe('on PostgreSQL, with two replicas', () => {
  it('shares tokens, sessions and CSRF tokens between servers on one database, with no state in either', async () => {
    const schema = `auth_${process.pid}_${Date.now().toString(36)}`;
    process.env.CLOSEDLOOP_AUTH_TEST_PG = inject('pgUrl');
    const env = { CLOSEDLOOP_AUTH_TEST_PG: inject('pgUrl'), SESSION_SECRET: 'a'.repeat(40) };
    const file = writeConfig('pg.json', {
      store: { postgres: { url: { env: 'CLOSEDLOOP_AUTH_TEST_PG' }, schema } },
      auth: { mode: 'dev', sessionSecret: { env: 'SESSION_SECRET' } },
    });
    try {
      const created = await cli(
        'tokens',
        'create',
        '--name',
        'importer',
        '--scopes',
        'capture',
        '--config',
        file,
      );
      expect(created.code).toBe(0);
      const token = /^(clt_\S+)$/m.exec(created.out)![1]!;
      const a = await startServer(loadConfig(file), { ...quiet, env });
      const b = await startServer(loadConfig(file), { ...quiet, env });
      try {
        const captured = await raw(
          b.url,
          'POST',
          '/v1/feedback',
          { host: new URL(b.url).host, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          JSON.stringify({
            source: { tool: 'api', responseId: 'pg1' },
            customer: { email: 'c@example.com', segment: 'spain' },
            nps: 0,
          }),
        );
        expect(captured.status).toBe(201);
        // Signed in on A, acting on B.
        const sara = await devSignIn(a.url, 'sara');
        const comment = await raw(
          b.url,
          'POST',
          `/v1/cases/${captured.json.case.id}/comment`,
          { host: new URL(b.url).host, 'content-type': 'application/json', ...sara },
          JSON.stringify({ body: 'Taking it' }),
        );
        expect(comment.status).toBe(200);
        expect(comment.json.comments[0].author).toBe('sara');
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      delete process.env.CLOSEDLOOP_AUTH_TEST_PG;
    }
  });
});

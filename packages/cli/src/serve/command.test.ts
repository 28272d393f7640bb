import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { postgresStore } from '@closedloop/core';
import { afterAll, describe, expect, inject, it } from 'vitest';

const bin = resolve(import.meta.dirname, '../bin.ts');
const dir = mkdtempSync(join(tmpdir(), 'closedloop-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, ['--conditions=@closedloop/source', bin, ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  void exited.then(() => clearTimeout(timer));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('closedloop serve command', () => {
  it('prints where it listens and shuts down cleanly on SIGTERM', async () => {
    writeFileSync(
      join(dir, 'closedloop.config.json'),
      JSON.stringify({
        store: ':memory:',
        directory: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
        segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
      }),
    );
    const p = run(['serve', '--port', '0']);
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, p.err()).toBeDefined();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('as a replica on PostgreSQL: /healthz names it, and SIGTERM leaves no claim behind', async () => {
    const schema = `cmd_${process.pid}_${Date.now().toString(36)}`;
    writeFileSync(
      join(dir, 'pg.json'),
      JSON.stringify({
        store: { postgres: { urlEnv: 'TEAM_DB_URL', schema } },
        directory: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
        segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
        connectors: { email: { from: 'cx@example.com', transport: { kind: 'directory', path: 'outbox' } } },
      }),
    );
    const p = run(['serve', '--config', 'pg.json', '--port', '0'], {
      ...process.env,
      TEAM_DB_URL: inject('pgUrl'),
    });
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, p.err()).toBeDefined();
    const captured = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        source: { tool: 'api', responseId: 'term-1' },
        customer: { email: 'm@example.com', segment: 'es' },
        nps: 1,
      }),
    });
    expect(captured.status).toBe(201);
    const health = (await (await fetch(`${url}/healthz`)).json()) as {
      replica: { id: string; shared: boolean };
    };
    expect(health.replica).toMatchObject({ shared: true, id: expect.stringContaining(`:${p.child.pid}:`) });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const store = postgresStore({ connectionString: inject('pgUrl'), schema, max: 1 });
    try {
      const held = await store.sql!.all(
        `SELECT (SELECT count(*) FROM "${schema}".deliveries WHERE claimed_by IS NOT NULL) + (SELECT count(*) FROM "${schema}".timers WHERE claimed_by IS NOT NULL) AS n`,
      );
      expect(Number(held[0]!.n)).toBe(0);
      expect((await store.listDeliveries()).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('exits 1 naming the bad field of an invalid config', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ directory: [], segments: [], http: { port: -1 } }));
    const p = run(['serve', '--config', 'bad.json']);
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('http.port');
    expect(p.err()).toContain('segments');
  });
});

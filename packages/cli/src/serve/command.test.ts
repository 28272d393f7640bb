import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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

  it('exits 1 naming the bad field of an invalid config given with -c', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ directory: [], segments: [], http: { port: -1 } }));
    const p = run(['serve', '-c', 'bad.json']);
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('http.port');
    expect(p.err()).toContain('segments');
  });

  it('refuses to listen on every interface without an auth section, naming what to add', async () => {
    writeFileSync(
      join(dir, 'open.json'),
      JSON.stringify({
        store: ':memory:',
        directory: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
        segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
        http: { host: '0.0.0.0', port: 0 },
      }),
    );
    const p = run(['serve', '--config', 'open.json']);
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('not started');
    expect(p.err()).toContain('"auth": { "mode": "oidc"');
    expect(p.out()).not.toContain('listening');
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const bin = resolve(import.meta.dirname, 'bin.ts');
const dir = mkdtempSync(join(tmpdir(), 'closedloop-epipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('stops quietly when the reader closes the pipe early (closedloop … | head)', async () => {
  // Far more output than a pipe buffers, so the write is still pending when the reader goes.
  const rules = Array.from({ length: 1500 }, (_, i) => ({
    name: `Rule number ${i}`,
    description: 'x'.repeat(400),
    conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] },
    event: { type: 'openCase', params: { priority: 'medium' } },
  }));
  writeFileSync(join(dir, 'jre.json'), JSON.stringify(rules));
  const child = spawn(
    process.execPath,
    ['--conditions=@closedloop/source', bin, 'rules', 'import-jre', 'jre.json', '--kind', 'route'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  expect(stderr).not.toContain('EPIPE');
  expect(stderr).not.toContain('    at ');
  expect(code).toBe(0);
});

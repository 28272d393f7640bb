// `closedloop-worker --config` / `-c`: the one config file, its bad fields named before anything starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { testOrg } from './test-kit.ts';

test('closedloop-worker reads --config and -c, naming a bad field and exiting 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cl-worker-bin-'));
  const file = join(dir, 'closedloop.config.json');
  writeFileSync(file, JSON.stringify({ ...testOrg, worker: { logLevel: 'LOUD' } }));
  for (const flag of ['--config', '-c']) {
    const r = spawnSync(
      process.execPath,
      ['--conditions=@closedloop/source', join(import.meta.dirname, 'bin.ts'), flag, file],
      { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH ?? '' } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`closedloop-worker: invalid config ${file}`);
    expect(r.stderr).toContain('worker.logLevel:');
  }
});

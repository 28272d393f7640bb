// Every command that reads a config takes it from `--config` / `-c`: a config with a bad field
// makes each of them stop with that field named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../main.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-config-flag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = join(import.meta.dirname, '../../../../examples/rules');

const bad = join(dir, 'bad.config.json');
writeFileSync(
  bad,
  JSON.stringify({
    store: ':memory:',
    directory: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
    segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
    http: { port: 'not-a-port' },
  }),
);
const wave = join(dir, 'wave.csv');
writeFileSync(wave, 'email,nps,segment\nana@example.com,3,es\n');
const facts = join(dir, 'facts.json');
writeFileSync(facts, JSON.stringify({ nps: 2, customer: { email: 'x@example.com', segment: 'es' } }));

/** Runs `closedloop …args`; returns what it printed on stderr and the error it threw, if any. */
async function run(args: string[]): Promise<string> {
  let printed = '';
  const spy = (chunk: unknown) => {
    printed += String(chunk);
    return true;
  };
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(spy);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await createProgram()
      .exitOverride()
      .parseAsync(['node', 'closedloop', ...args]);
  } catch (e) {
    printed += e instanceof Error ? e.message : String(e);
  } finally {
    err.mockRestore();
    out.mockRestore();
    process.exitCode = undefined;
  }
  return printed;
}

const COMMANDS: [string, string[]][] = [
  ['serve', ['serve']],
  ['import', ['import', wave]],
  ['export', ['export']],
  ['report', ['report']],
  ['rules validate', ['rules', 'validate', join(examples, 'cx-program')]],
  ['rules explain', ['rules', 'explain', join(examples, 'cx-program'), '--facts', facts]],
  [
    'rules backtest',
    [
      'rules',
      'backtest',
      '--old',
      join(examples, 'cx-program'),
      '--new',
      join(examples, 'cx-program-next'),
      '--feedback',
      join(examples, 'sample-feedback.csv'),
    ],
  ],
  ['rules apply', ['rules', 'apply', '--rules', join(examples, 'cx-program-next')]],
  ['rules pull', ['rules', 'pull', join(dir, 'pulled')]],
  ['rules push', ['rules', 'push', join(examples, 'cx-program'), '--comment', 'test']],
  ['privacy export', ['privacy', 'export', '--email', 'ana@example.com']],
  ['privacy erase', ['privacy', 'erase', '--email', 'ana@example.com']],
  ['privacy dnc check', ['privacy', 'dnc', 'check', '--email', 'ana@example.com']],
  ['tokens list', ['tokens', 'list']],
  ['learn rebuild', ['learn', 'rebuild']],
];

describe('--config on every command', () => {
  it.each(COMMANDS)('%s reads --config and -c, naming the bad field', async (_name, args) => {
    for (const flag of ['--config', '-c']) {
      const printed = await run([...args, flag, bad]);
      expect(printed).toContain('http.port');
    }
  });
});

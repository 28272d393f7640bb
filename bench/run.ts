// `pnpm bench [-- --out DIR] [NAME…]`: runs every package benchmark (packages/*/bench/*.bench.ts,
// or those whose path contains a NAME) one after another, each in its own Node process, then
// gathers their Markdown sections into README.md. `--readme` only gathers (runs nothing).
// Default output: bench/results/*.json + *.md and bench/README.md (the committed figures).
// With --out DIR everything goes to DIR (DIR/README.md included), so a run leaves the checkout clean.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2).filter((a) => a !== '--');
let out: string | undefined;
let readmeOnly = false;
const only: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--out') {
    out = args[++i];
    if (!out) throw new Error('--out needs a folder: pnpm bench -- --out /tmp/bench');
  } else if (a.startsWith('--out=')) out = a.slice('--out='.length);
  else if (a === '--readme') readmeOnly = true;
  else only.push(a);
}
const resultsDir = out ? resolve(out) : join(root, 'bench', 'results');
const readme = out ? join(resultsDir, 'README.md') : join(root, 'bench', 'README.md');
mkdirSync(resultsDir, { recursive: true });

const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    const dir = join(root, 'packages', pkg, 'bench');
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.bench.ts'))
          .map((f) => join(dir, f))
      : [];
  })
  .filter((f) => !readmeOnly && (only.length === 0 || only.some((o) => f.includes(o))));

let failed = false;
for (const file of files) {
  process.stdout.write(`\n▶ ${file.slice(root.length + 1)}\n`);
  const r = spawnSync(
    process.execPath,
    ['--conditions=@closedloop/source', '--expose-gc', '--no-warnings', file],
    { stdio: 'inherit', cwd: root, env: { ...process.env, BENCH_OUT: resultsDir } },
  );
  if (r.status !== 0) failed = true;
}

const sections = readdirSync(resultsDir)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort()
  .map((f) => readFileSync(join(resultsDir, f), 'utf8').trim());
writeFileSync(
  readme,
  `# Benchmarks

Written by \`pnpm bench\` (\`pnpm bench -- --out DIR\` writes everything to DIR instead and leaves the checkout clean). One table per benchmark; each measures its reference in the same run, on the same machine, and shows it beside the figure, so ratios are comparable; absolute figures are not. The numbers behind each table are the JSON files in \`${out ? '.' : 'results/'}\`.

${sections.join('\n\n')}
`,
);
process.stdout.write(`\nresults: ${resultsDir}\n`);
process.exitCode = failed ? 1 : 0;

// `pnpm bench`: runs every package benchmark (packages/*/bench/*.bench.ts) one after another, each
// in its own Node process, then gathers their Markdown sections into bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const only = process.argv.slice(2);
const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    const dir = join(root, 'packages', pkg, 'bench');
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.bench.ts'))
          .map((f) => join(dir, f))
      : [];
  })
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));

let failed = false;
for (const file of files) {
  process.stdout.write(`\n▶ ${file.slice(root.length + 1)}\n`);
  const r = spawnSync(
    process.execPath,
    ['--conditions=@closedloop/source', '--expose-gc', '--no-warnings', file],
    {
      stdio: 'inherit',
      cwd: root,
    },
  );
  if (r.status !== 0) failed = true;
}

const sections = readdirSync(join(root, 'bench', 'results'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(join(root, 'bench', 'results', f), 'utf8').trim());
writeFileSync(
  join(root, 'bench', 'README.md'),
  `# Benchmarks\n\nWritten by \`pnpm bench\` (results as JSON beside this file in \`results/\`). Each benchmark measures its reference in the same run, on the same machine (2 cores), so ratios are comparable; absolute figures are not.\n\n${sections.join('\n\n')}\n`,
);
process.exitCode = failed ? 1 : 0;

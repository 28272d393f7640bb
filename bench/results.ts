// Where and how a benchmark leaves its figures. Every benchmark writes `<name>.json` (the numbers)
// and `<name>.md` (its one table) into the output folder: `--out DIR` on `pnpm bench`, passed to
// each benchmark process as BENCH_OUT; default `bench/results/`, committed with bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

/** The folder results go to: BENCH_OUT (set by `pnpm bench -- --out DIR`), else bench/results/. */
export function resultsDir(): string {
  const out = process.env.BENCH_OUT;
  return out ? resolve(out) : join(import.meta.dirname, 'results');
}

/** The line every table carries: Node version, cores, the date, how many operations were in flight. */
export function measuredOn(inFlight: string | number): string {
  const date = new Date().toISOString().slice(0, 10);
  const shared = process.env.BENCH_NOTE ? ` ${process.env.BENCH_NOTE}` : '';
  return `Node ${process.version}, ${availableParallelism()} cores, ${date}, ${inFlight} in flight.${shared}`;
}

/** Writes one benchmark's results as JSON and a Markdown section, and prints the section. */
export function writeResults(name: string, results: unknown, markdown: string): void {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        node: process.version,
        cores: availableParallelism(),
        ...(results as object),
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(dir, `${name}.md`), `${markdown.trim()}\n`);
  process.stdout.write(`${markdown}\n`);
}

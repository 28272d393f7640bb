import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, 'results');

/** Writes one benchmark's results as JSON and a Markdown section, and prints the section. */
export function writeResults(name: string, results: unknown, markdown: string): void {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    join(DIR, `${name}.json`),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), ...(results as object) }, null, 2)}\n`,
  );
  writeFileSync(join(DIR, `${name}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
}

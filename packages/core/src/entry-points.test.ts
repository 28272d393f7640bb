import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';

const dist = join(import.meta.dirname, '../dist');

/** The npm packages a fresh Node.js process loads when it imports (ESM) or requires (CJS) `file`. */
function packagesLoaded(file: string, how: 'import' | 'require'): string[] {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first`);
  const script =
    how === 'import'
      ? `import { registerHooks } from 'node:module';
         const seen = new Set();
         registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
         await import(${JSON.stringify(pathToFileURL(file).href)});
         process.stdout.write(JSON.stringify([...seen]));`
      : `require(${JSON.stringify(file)});
         process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(
    process.execPath,
    [`--input-type=${how === 'import' ? 'module' : 'commonjs'}`, '-e', script],
    {
      encoding: 'utf8',
    },
  );
  const names = (JSON.parse(out) as string[]).flatMap((loaded) => {
    const m = [...decodeURIComponent(loaded).matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1);
    return m ? [m[1]!] : [];
  });
  return [...new Set(names)].sort();
}

describe('entry points of the built package', () => {
  test.each(['import', 'require'] as const)(
    '%s "@closedloop/core" does not load pg (SQLite users need not install it)',
    (how) => {
      const loaded = packagesLoaded(join(dist, how === 'import' ? 'index.js' : 'index.cjs'), how);
      expect(loaded).not.toContain('pg');
      expect(loaded).toContain('zod');
    },
  );

  test.each(['import', 'require'] as const)('%s "@closedloop/core/postgres" loads pg', (how) => {
    expect(packagesLoaded(join(dist, how === 'import' ? 'postgres.js' : 'postgres.cjs'), how)).toContain(
      'pg',
    );
  });
});

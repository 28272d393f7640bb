import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Directory, SegmentTree } from '@closedloop/core/machine';
import { describe, expect, test } from 'vitest';

/** Modules reached from `file` through value imports (type-only imports are erased). */
function valueImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) valueImports(join(dirname(file), spec), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('@closedloop/core/machine', () => {
  test('loads without zod or Node built-ins, so a workflow sandbox evaluates it fast', () => {
    const reached = [...valueImports(join(import.meta.dirname, 'index.ts'))];
    const packages = reached.filter((r) => !r.startsWith('/'));
    expect(packages).toEqual(['xstate']);
  });

  test('organisation data is checked by hand, each bad field named', () => {
    expect(() => new Directory([{ id: '', name: 'Ana', email: 'not-an-email' }])).toThrow(
      /Invalid directory: 2 problem\(s\)\n {2}- \[0\]\.id: .*\n {2}- \[0\]\.email: give each person a valid email address/,
    );
    expect(() => new SegmentTree([{ id: 'es', name: 'Spain', managers: [] }])).toThrow(
      /\[0\]\.managers: a segment needs at least one manager/,
    );
    expect(() => new SegmentTree([{ id: 'es', name: 'Spain', parent: 'eu', managers: ['ana'] }])).toThrow(
      /"es" has parent "eu", which is not a segment/,
    );
    expect(() => new SegmentTree('nope' as never)).toThrow(/expected a list of segments/);
  });
});

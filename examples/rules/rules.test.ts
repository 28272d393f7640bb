import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleSet, runFixtures } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const sets = readdirSync(here).filter((d) => statSync(join(here, d)).isDirectory() && d !== 'node_modules');

describe('example rule sets', () => {
  it('there are example rule sets', () => {
    expect(sets.length).toBeGreaterThan(0);
  });
  for (const set of sets) {
    describe(set, () => {
      const dir = join(here, set);
      const results = runFixtures(loadRuleSet(dir), dir);
      it('has fixtures', () => {
        expect(results.length).toBeGreaterThan(0);
      });
      for (const r of results) {
        it(`${r.file.split('/').at(-1)}: ${r.name}`, () => {
          expect(r.failures).toEqual([]);
        });
      }
    });
  }
});

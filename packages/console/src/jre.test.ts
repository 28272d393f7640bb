import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { issueTarget, type JreCondition, type JreTop, toConditions, toQuery } from './jre.ts';

const leafArb: fc.Arbitrary<JreCondition> = fc.record(
  {
    fact: fc.constantFrom('nps', 'segment', 'comment', 'topics', 'customer'),
    operator: fc.constantFrom('equal', 'lessThan', 'in', 'containsAny', 'inSegmentSubtree', 'npsCategory'),
    value: fc.oneof(
      fc.integer({ min: 0, max: 10 }),
      fc.string({ maxLength: 8 }),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.boolean(),
      fc.record({ fact: fc.constant('csat') }),
    ),
    path: fc.constantFrom('$.segment', '$.value'),
    params: fc.record({ unit: fc.constantFrom('days', 'hours') }),
  },
  { requiredKeys: ['fact', 'operator', 'value'] },
);

const { top } = fc.letrec<{ top: JreTop; cond: JreCondition }>((tie) => ({
  top: fc.oneof(
    { depthSize: 'small' },
    fc.record(
      {
        all: fc.array(tie('cond'), { maxLength: 4 }),
        name: fc.string({ maxLength: 5 }),
        priority: fc.nat(5),
      },
      { requiredKeys: ['all'] },
    ),
    fc.record(
      { any: fc.array(tie('cond'), { maxLength: 4 }), name: fc.string({ maxLength: 5 }) },
      { requiredKeys: ['any'] },
    ),
    fc.record({ not: tie('cond'), priority: fc.nat(5) }, { requiredKeys: ['not'] }),
  ),
  cond: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, leafArb, tie('top')),
}));

describe('query builder ⇄ json-rules-engine conditions', () => {
  test('json-rules-engine → builder → json-rules-engine is the identity', () => {
    fc.assert(
      fc.property(top, (c) => {
        expect(toConditions(toQuery(c))).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  test('builder → json-rules-engine → builder keeps a query the builder made (groups and/or/not)', () => {
    fc.assert(
      fc.property(top, (c) => {
        const q = toQuery(c);
        expect(toQuery(toConditions(q))).toEqual(q);
      }),
      { numRuns: 300 },
    );
  });

  test('all / any / not map to and / or / a not group, one to one', () => {
    const leaf = { fact: 'nps', operator: 'lessThan', value: 7 };
    expect(toQuery({ all: [leaf] })).toEqual({
      combinator: 'and',
      rules: [{ field: 'nps', operator: 'lessThan', value: 7 }],
    });
    expect(toQuery({ any: [leaf] }).combinator).toBe('or');
    expect(toQuery({ not: leaf })).toEqual({
      combinator: 'and',
      not: true,
      rules: [{ field: 'nps', operator: 'lessThan', value: 7 }],
    });
    // A not group the user filled with two conditions negates their "all".
    expect(
      toConditions({
        combinator: 'and',
        not: true,
        rules: [
          { field: 'nps', operator: 'lessThan', value: 7 },
          { field: 'segment', operator: 'equal', value: 'spain' },
        ],
      }),
    ).toEqual({ not: { all: [leaf, { fact: 'segment', operator: 'equal', value: 'spain' }] } });
  });

  test('a validation path points at the rule and the condition in the builder', () => {
    expect(issueTarget('rules[2].conditions.all[0].value')).toEqual({
      rule: 2,
      queryPath: [0],
      field: 'value',
    });
    expect(issueTarget('rules[0].conditions.any[1].not.all[3].fact')).toEqual({
      rule: 0,
      queryPath: [1, 0, 3],
      field: 'fact',
    });
    expect(issueTarget('rules[1].event.params.priority')).toEqual({ rule: 1, field: 'event' });
    expect(issueTarget('kind')).toBeUndefined();
  });
});

import { defineOperator, validateRuleFile } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const file = (rules: unknown[], kind = 'route', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ kind, ...extra, rules }, null, 2);
const leaf = (fact: string, operator: string, value: unknown, more: Record<string, unknown> = {}) => ({
  fact,
  operator,
  value,
  ...more,
});
const rule = (
  id: string,
  conditions: unknown,
  event: unknown = { type: 'openCase', params: { priority: 'high' } },
  more = {},
) => ({
  id,
  conditions,
  event,
  ...more,
});

function errorsOf(text: string) {
  const result = validateRuleFile(text, { fileName: 'route.json' });
  expect(result.ok).toBe(false);
  return result.errors;
}

describe('validateRuleFile', () => {
  it('accepts a valid file and returns it', () => {
    const result = validateRuleFile(file([rule('a', { all: [leaf('nps', 'lessThan', 7)] })]));
    expect(result.ok).toBe(true);
    expect(result.file?.rules[0]?.id).toBe('a');
  });

  it('reports broken JSON with its line and column', () => {
    const errors = errorsOf('{\n  "kind": "route",\n  "rules": [\n    { "id": "a" \n    "x": 1 }\n  ]\n}');
    expect(errors[0]).toMatchObject({ line: 5, column: 5, message: 'Invalid JSON: CommaExpected' });
  });

  it('names an unknown fact with its pointer, line, column and a did-you-mean hint', () => {
    const text = file([rule('a', { all: [leaf('npss', 'lessThan', 7)] })]);
    const [e] = errorsOf(text);
    expect(e).toMatchObject({
      file: 'route.json',
      pointer: '/rules/0/conditions/all/0/fact',
      message: 'Unknown fact "npss"',
      hint: 'did you mean "nps"? Or declare it under "facts" at the top of the file',
    });
    const line = text.split('\n')[e!.line - 1]!;
    expect(line.slice(e!.column - 1)).toMatch(/^"fact": "npss"/);
  });

  it('accepts a fact the file declares', () => {
    const text = file([rule('a', { all: [leaf('plan', 'equal', 'gold')] })], 'route', {
      facts: { plan: { type: 'string' } },
    });
    expect(validateRuleFile(text).ok).toBe(true);
  });

  it('reports an unknown operator with the closest name', () => {
    const [e] = errorsOf(file([rule('a', { all: [leaf('nps', 'lessthan', 7)] })]));
    expect(e).toMatchObject({
      pointer: '/rules/0/conditions/all/0/operator',
      message: 'Unknown operator "lessthan"',
      hint: 'did you mean "lessThan"?',
    });
  });

  it('reports an operator that does not fit the fact type', () => {
    const [e] = errorsOf(file([rule('a', { all: [leaf('comment', 'greaterThan', 3)] })]));
    expect(e?.message).toBe('Operator "greaterThan" does not work on fact "comment", which is a string');
  });

  it('reports a value of the wrong type for the fact', () => {
    const [e] = errorsOf(file([rule('a', { all: [leaf('nps', 'equal', '3')] })]));
    expect(e).toMatchObject({
      pointer: '/rules/0/conditions/all/0/value',
      message: 'Fact "nps" is a number but the value "3" is a string, so "equal" never holds',
      hint: 'write the value as a number: 3',
    });
  });

  it('reports a path on a fact that is not an object', () => {
    const [e] = errorsOf(file([rule('a', { all: [leaf('nps', 'equal', 3, { path: '$.value' })] })]));
    expect(e).toMatchObject({
      pointer: '/rules/0/conditions/all/0/path',
      message: 'Fact "nps" is a number, so "path" "$.value" reads nothing: the condition sees the whole fact',
    });
  });

  it('warns that a string value for "in" means substring', () => {
    const [e] = errorsOf(file([rule('a', { all: [leaf('segment', 'in', 'gold')] })]));
    expect(e?.hint).toContain('write a list such as ["gold"]');
  });

  it('reports an event type the kind does not allow, naming the right file', () => {
    const [e] = errorsOf(
      file([rule('a', { all: [] }, { type: 'alert', params: { channel: 'slack', template: 't' } })]),
    );
    expect(e).toMatchObject({
      pointer: '/rules/0/event/type',
      message: 'Event type "alert" is not allowed in a route file',
    });
    expect(e?.hint).toContain('move this rule to alert.json');
  });

  it('reports missing and unknown event params from the schema', () => {
    const errors = errorsOf(
      file([rule('a', { all: [] }, { type: 'openCase', params: { priorty: 'high' } })]),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'Rule 1: "params" is missing "priority"',
      'Rule 1: "params" has an unknown property "priorty"',
    ]);
    expect(errors[1]?.hint).toBe('did you mean "priority"?');
  });

  it('reports a bad enum value with the allowed values', () => {
    const [e] = errorsOf(
      file([rule('a', { all: [] }, { type: 'openCase', params: { priority: 'urgent' } })]),
    );
    expect(e).toMatchObject({
      pointer: '/rules/0/event/params/priority',
      hint: 'pick one of "low", "medium", "high", "critical"',
    });
  });

  it('reports a priority between 0 and 1, which json-rules-engine refuses', () => {
    const [e] = errorsOf(file([rule('a', { all: [] }, undefined, { priority: 0.5 })]));
    expect(e).toMatchObject({
      pointer: '/rules/0/priority',
      message: 'Priority 0.5 truncates to 0, which json-rules-engine refuses',
    });
  });

  it('reports duplicate ids', () => {
    const errors = errorsOf(
      file([
        rule('a', { all: [leaf('nps', 'lessThan', 3)] }),
        rule('a', { all: [leaf('nps', 'lessThan', 5)] }),
      ]),
    );
    expect(errors[0]).toMatchObject({
      pointer: '/rules/1/id',
      message: 'Duplicate rule id "a" (also rule 1 of this file)',
    });
  });

  it('reports a rule that can never fire', () => {
    const [e] = errorsOf(
      file([rule('a', { all: [leaf('nps', 'lessThan', 3), leaf('nps', 'greaterThan', 5)] })]),
    );
    expect(e?.message).toBe('Rule "a" can never fire: "nps" would have to be > 5 and < 3');
  });

  it('reports a rule shadowed by an earlier one with the same conditions', () => {
    const c = { all: [leaf('nps', 'lessThan', 3)] };
    const [e] = errorsOf(file([rule('a', c), rule('b', c)]));
    expect(e).toMatchObject({
      pointer: '/rules/1',
      message: expect.stringContaining('Rule "b" is shadowed by "a"'),
    });
  });

  it('does not call a higher-priority rule shadowed by an earlier-declared one', () => {
    const text = file([
      rule('fallback', { all: [] }),
      rule('special', { all: [leaf('nps', 'lessThan', 3)] }, undefined, { priority: 5 }),
    ]);
    expect(validateRuleFile(text).ok).toBe(true);
  });

  it('reports a cycle in escalation chains', () => {
    const chain = (then: string) => ({
      type: 'escalationChain',
      params: { steps: [{ notify: ['owner'] }], then },
    });
    const errors = errorsOf(
      file(
        [
          rule('x', { all: [leaf('nps', 'lessThan', 3)] }, chain('y')),
          rule('y', { all: [leaf('nps', 'lessThan', 5)] }, chain('x')),
        ],
        'escalate',
      ),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'Escalation chains form a cycle: x -> y -> x',
      'Escalation chains form a cycle: y -> x -> y',
    ]);
  });

  it('checks custom operators by their own value check', () => {
    const longerThan = defineOperator<string, number>({
      name: 'longerThan',
      description: 'text longer than n',
      evaluate: (f, v) => f.length > v,
      factTypes: ['string'],
      checkValue: (v) => (typeof v === 'number' ? undefined : 'write a number of characters'),
    });
    const ok = validateRuleFile(file([rule('a', { all: [leaf('comment', 'longerThan', 200)] })]), {
      operators: [longerThan],
    });
    expect(ok.ok).toBe(true);
    const bad = validateRuleFile(file([rule('a', { all: [leaf('comment', 'longerThan', 'x')] })]), {
      operators: [longerThan],
    });
    expect(bad.errors[0]?.hint).toBe('write a number of characters');
  });

  // Speed is measured by `pnpm bench` (bench/README.md), not asserted in a test.
  it('validates a 1,000-rule file, with the same result every time', () => {
    const rules = Array.from({ length: 1000 }, (_, i) =>
      rule(
        `r${i}`,
        {
          all: [
            leaf('nps', 'lessThanInclusive', i % 11),
            leaf('segment', 'in', [`s${i}`]),
            {
              any: [
                leaf('comment', 'containsAny', ['caro', `w${i}`]),
                leaf('topics', 'matchesTopic', 'billing'),
              ],
            },
          ],
        },
        { type: 'openCase', params: { priority: 'high', segment: `s${i}` } },
      ),
    );
    const text = file(rules);
    const first = validateRuleFile(text);
    expect(first.ok).toBe(true);
    expect(first.file?.rules).toHaveLength(1000);
    expect(validateRuleFile(text)).toEqual(first);
  });
});

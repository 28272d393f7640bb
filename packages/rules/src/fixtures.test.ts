import { checkRuleTexts, type RuleSet, runFixtureFile } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const ruleSet: RuleSet = {
  version: 'v',
  files: {
    classify: {
      kind: 'classify',
      rules: [
        {
          id: 'red',
          conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 3 }] },
          event: { type: 'flag', params: { flag: 'red' } },
        },
      ],
    },
  },
};

describe('runFixtureFile', () => {
  it('passes matching expectations and reports each mismatch', () => {
    const results = runFixtureFile(
      ruleSet,
      {
        cases: [
          {
            name: 'red',
            feedback: { nps: 1 },
            expect: { firedRules: ['red'], decision: { classification: { flags: ['red'] }, case: null } },
          },
          {
            name: 'wrong',
            feedback: { nps: 1 },
            expect: { decision: { classification: { flags: ['yellow'] } } },
          },
          { name: 'facts', kind: 'classify', facts: { nps: 9 }, expect: { events: [{ type: 'flag' }] } },
        ],
      },
      'f.json',
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['red', true],
      ['wrong', false],
      ['facts', false],
    ]);
    expect(results[1]?.failures).toEqual(['decision.classification.flags[0]: expected "yellow", got "red"']);
    expect(results[2]?.failures).toEqual(['events: expected [{"type":"flag"}], got []']);
  });

  it('names the field of fixture feedback that is not valid', () => {
    const [result] = runFixtureFile(
      ruleSet,
      { cases: [{ name: 'bad', feedback: { nps: 11 }, expect: { firedRules: [] } }] },
      'f.json',
    );
    expect(result?.ok).toBe(false);
    expect(result?.failures).toEqual([expect.stringMatching(/^feedback\.nps: .+/)]);
  });
});

describe('checkRuleTexts', () => {
  it('refuses a file whose kind does not match its name and ids repeated across files', () => {
    const alert =
      '{"kind":"alert","rules":[\n{"id":"x","conditions":{"all":[]},"event":{"type":"alert","params":{"channel":"c","template":"t"}}}]}';
    const route =
      '{"kind":"route","rules":[{"id":"x","conditions":{"all":[]},"event":{"type":"thankCustomer","params":{"template":"t"}}}]}';
    const check = checkRuleTexts({
      alert: { text: alert, fileName: 'alert.json' },
      route: { text: route, fileName: 'route.json' },
    });
    expect(check.ok).toBe(false);
    expect(check.errors).toEqual([
      expect.objectContaining({
        file: 'alert.json',
        pointer: '/rules/0/id',
        line: 2,
        message: 'Rule id "x" is also used in route.json',
      }),
    ]);
    const wrongKind = checkRuleTexts({ sla: { text: alert, fileName: 'sla.json' } });
    expect(wrongKind.errors[0]?.message).toBe('sla.json says "kind": "alert"');
  });
});

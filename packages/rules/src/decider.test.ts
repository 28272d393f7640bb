import type { Feedback } from '@closedloop/core';
import { DecisionSchema, FeedbackSchema, SegmentTree } from '@closedloop/core';
import { createRulesDecider, loadRuleSet, type RuleSet } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const segments = new SegmentTree([
  { id: 'emea', name: 'EMEA', managers: ['lead'] },
  { id: 'es', name: 'Spain', parent: 'emea', managers: ['ana'] },
]);
const now = new Date('2026-11-20T10:00:00Z');
const feedback = (input: Record<string, unknown>): Feedback =>
  FeedbackSchema.parse({
    id: 'f1',
    source: { tool: 'test', responseId: 'r1' },
    receivedAt: now.toISOString(),
    customer: { email: 'c@example.com', segment: 'es' },
    ...input,
  });

const set = (version: string, priority: 'low' | 'high'): RuleSet => ({
  version,
  files: {
    classify: {
      kind: 'classify',
      rules: [
        {
          id: 'caro',
          conditions: { all: [{ fact: 'comment', operator: 'containsAny', value: ['caro'] }] },
          event: { type: 'addTopic', params: { topic: 'price' } },
        },
        {
          id: 'red',
          conditions: { all: [{ fact: 'nps', operator: 'lessThanInclusive', value: 3 }] },
          event: { type: 'flag', params: { flag: 'red' } },
        },
      ],
    },
    route: {
      kind: 'route',
      rules: [
        {
          id: 'price-detractor',
          conditions: {
            all: [
              { fact: 'topics', operator: 'contains', value: 'price' },
              { fact: 'flags', operator: 'contains', value: 'red' },
            ],
          },
          event: { type: 'openCase', params: { priority } },
        },
      ],
    },
  },
});

describe('createRulesDecider', () => {
  it('classifies first, then routes on the classification, recording the rule-set version', () => {
    const decider = createRulesDecider(set('v1', 'high'));
    const decision = decider.decide(feedback({ nps: 2, comment: 'Muy CARO' }), { segments, now });
    expect(DecisionSchema.parse(decision)).toMatchObject({
      ruleSetVersion: 'v1',
      classification: { npsCategory: 'detractor', flags: ['red'], topics: ['price'], segment: 'es' },
      case: { segment: 'es', priority: 'high' },
      firedRules: ['caro', 'red', 'price-detractor'],
    });
    expect(decider.version).toBe('v1');
  });

  it("opens the case in the first root segment when the customer's segment is unknown", () => {
    const decision = createRulesDecider(set('v1', 'high')).decide(
      feedback({ nps: 2, comment: 'caro', customer: { email: 'c@example.com', segment: 'mars' } }),
      { segments, now },
    );
    expect(decision).toMatchObject({ classification: { segment: 'mars' }, case: { segment: 'emea' } });
  });

  it('opens no case when no route rule fires', () => {
    const decision = createRulesDecider(set('v1', 'high')).decide(feedback({ nps: 9, comment: 'barato' }), {
      segments,
      now,
    });
    expect(decision).toMatchObject({
      classification: { npsCategory: 'promoter', flags: [], topics: [] },
      firedRules: [],
    });
    expect('case' in decision && decision.case !== undefined).toBe(false);
  });

  it('swaps rules atomically and records the new version', () => {
    const decider = createRulesDecider(set('v1', 'high'));
    decider.swap(set('v2', 'low'));
    const decision = decider.decide(feedback({ nps: 2, comment: 'caro' }), { segments, now });
    expect(decision).toMatchObject({ ruleSetVersion: 'v2', case: { priority: 'low' } });
    expect(decider.version).toBe('v2');
  });

  it('explains a decision per kind', () => {
    const { traces } = createRulesDecider(set('v1', 'high')).explain(feedback({ nps: 5, comment: 'caro' }), {
      segments,
      now,
    });
    expect(traces.classify?.map((t) => [t.ruleId, t.fired])).toEqual([
      ['caro', true],
      ['red', false],
    ]);
    expect(traces.route?.[0]?.fired).toBe(false);
  });

  it('passes extra facts from code to the rules', () => {
    const ruleSet: RuleSet = {
      version: 'crm',
      files: {
        route: {
          kind: 'route',
          facts: { plan: { type: 'string' } },
          rules: [
            {
              id: 'gold',
              conditions: { all: [{ fact: 'plan', operator: 'equal', value: 'gold' }] },
              event: { type: 'openCase', params: { priority: 'critical' } },
            },
          ],
        },
      },
    };
    const decider = createRulesDecider(ruleSet, {
      facts: (f) => ({ plan: f.customer.email === 'c@example.com' ? 'gold' : 'basic' }),
    });
    expect(decider.decide(feedback({ nps: 9 }), { segments, now })).toMatchObject({
      case: { priority: 'critical' },
      firedRules: ['gold'],
    });
  });

  it('picks the least-loaded person of a pool when loads are known', () => {
    const ruleSet: RuleSet = {
      version: 'pool',
      files: {
        route: {
          kind: 'route',
          rules: [
            {
              id: 'pool',
              conditions: { all: [] },
              event: {
                type: 'openCase',
                params: { priority: 'medium', pool: ['ana', 'luis'], assign: 'leastLoaded' },
              },
            },
          ],
        },
      },
    };
    const loads: Record<string, number> = { ana: 4, luis: 1 };
    const decider = createRulesDecider(ruleSet, { loadOf: (p) => loads[p] ?? 0 });
    expect(decider.decide(feedback({ nps: 1 }), { segments, now })).toMatchObject({
      case: { owner: 'luis' },
    });
  });

  it('loads a rule directory and refuses an invalid one with positioned issues', () => {
    const decider = createRulesDecider(`${import.meta.dirname}/../../../examples/rules/cx-program`);
    expect(decider.version).toBe('2026-11-01');
    expect(() =>
      loadRuleSet({ route: { fileName: 'route.json', text: '{"kind":"route","rules":[{"id":"a"}]}' } }),
    ).toThrow(/Invalid rules: 2 error\(s\); first: route\.json:1:26 Rule 1 is missing "conditions"/);
  });
});

import type { Feedback } from '@closedloop/core';
import { FeedbackSchema, SegmentTree } from '@closedloop/core';
import { backtest, backtestStream, formatBacktest, planRetroactive, type RuleSet } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const segments = new SegmentTree([{ id: 'emea', name: 'EMEA', managers: ['lead'] }]);
const fb = (id: string, nps: number): Feedback =>
  FeedbackSchema.parse({
    id,
    source: { tool: 't', responseId: id },
    receivedAt: '2026-11-20T10:00:00Z',
    customer: { email: `${id}@example.com`, segment: 'emea' },
    nps,
  });

const set = (version: string, threshold: number, priority: 'medium' | 'high'): RuleSet => ({
  version,
  files: {
    route: {
      kind: 'route',
      rules: [
        {
          id: 'detractor',
          conditions: { all: [{ fact: 'nps', operator: 'lessThanInclusive', value: threshold }] },
          event: { type: 'openCase', params: { priority } },
        },
      ],
    },
    alert: {
      kind: 'alert',
      rules: [
        {
          id: 'very-low',
          conditions: { all: [{ fact: 'nps', operator: 'lessThanInclusive', value: threshold - 4 }] },
          event: { type: 'alert', params: { channel: 'slack', template: 'low' } },
        },
      ],
    },
  },
});

describe('backtest', () => {
  const feedbacks = [fb('a', 2), fb('b', 6), fb('c', 7), fb('d', 9)];

  it('reports cases, priorities, alerts and rules that would change, with examples and progress', () => {
    const progress: number[] = [];
    const report = backtest(set('v1', 6, 'medium'), set('v2', 7, 'high'), feedbacks, {
      segments,
      onProgress: (done) => progress.push(done),
    });
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(report).toMatchObject({
      oldVersion: 'v1',
      newVersion: 'v2',
      total: 4,
      changed: 3,
      totals: { casesOld: 2, casesNew: 3, alertsOld: 1, alertsNew: 1 },
    });
    expect(report.fields.map((f) => [f.field, f.count])).toEqual([
      ['case', 1],
      ['priority', 2],
    ]);
    expect(report.fields[0]?.examples).toEqual([{ feedbackId: 'c', before: false, after: true }]);
    expect(report.rules).toEqual([
      { ruleId: 'detractor', firedOld: 2, firedNew: 3, gained: 1, lost: 0, examples: ['c'] },
    ]);
    expect(formatBacktest(report)).toContain('Cases: 2 -> 3. Alerts: 1 -> 1.');
  });

  it('reads feedback from an async source, as from a store', async () => {
    async function* source() {
      for (const f of feedbacks) yield f;
    }
    const streamed = await backtestStream(set('v1', 6, 'medium'), set('v2', 7, 'high'), source(), {
      segments,
      total: 4,
    });
    expect(streamed).toEqual(backtest(set('v1', 6, 'medium'), set('v2', 7, 'high'), feedbacks, { segments }));
  });

  it('reports nothing when the rule sets decide alike', () => {
    const report = backtest(set('v1', 6, 'medium'), set('v1b', 6, 'medium'), feedbacks, { segments });
    expect(report.changed).toBe(0);
    expect(report.fields).toEqual([]);
  });
});

describe('planRetroactive', () => {
  it('lists re-prioritisations of open cases with the reason for the audit log', () => {
    const changes = planRetroactive(
      set('v2', 7, 'high'),
      [
        { caseId: 'case-1', feedback: fb('a', 2), segment: 'emea', priority: 'medium' },
        { caseId: 'case-2', feedback: fb('b', 6), segment: 'emea', priority: 'high' },
      ],
      { segments },
    );
    expect(changes).toEqual([
      {
        caseId: 'case-1',
        field: 'priority',
        before: 'medium',
        after: 'high',
        reason: 'rules v2: detractor, very-low',
      },
    ]);
  });
});

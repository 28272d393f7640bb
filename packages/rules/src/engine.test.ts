import { SegmentTree } from '@closedloop/core';
import { createRulesEngine, defineOperator, formatExplanation, RulesError } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';
import type { Rule } from './types.ts';

const r = (id: string, conditions: Rule['conditions'], priority?: number): Rule => ({
  id,
  ...(priority === undefined ? {} : { priority }),
  conditions,
  event: { type: 'alert', params: { id } },
});

describe('createRulesEngine', () => {
  it('groups events by priority, highest first, and orders a group by declaration', () => {
    const engine = createRulesEngine([
      r('deep', { all: [{ any: [{ all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] }] }] }),
      r('urgent', { all: [{ fact: 'nps', operator: 'lessThan', value: 3 }] }, 5),
      r('flat', { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] }),
    ]);
    const result = engine.evaluate({ nps: 2 });
    expect(result.groups.map((g) => [g.priority, g.events.map((e) => e.ruleId)])).toEqual([
      [5, ['urgent']],
      [1, ['deep', 'flat']],
    ]);
    expect(result.fired).toEqual(['urgent', 'deep', 'flat']);
  });

  it('skips disabled rules', () => {
    const engine = createRulesEngine([{ ...r('off', { all: [] }), enabled: false }, r('on', { all: [] })]);
    expect(engine.evaluate({}).fired).toEqual(['on']);
  });

  it('fails on an undefined fact unless undefined facts are allowed', () => {
    const rules = [r('a', { all: [{ fact: 'missing', operator: 'notEqual', value: 1 }] })];
    expect(() => createRulesEngine(rules).evaluate({})).toThrow(RulesError);
    expect(() => createRulesEngine(rules).evaluate({})).toThrow('Undefined fact: missing');
    expect(createRulesEngine(rules, { allowUndefinedFacts: true }).evaluate({}).fired).toEqual(['a']);
  });

  it('matches words ignoring case and accents in Spanish, Italian and Polish', () => {
    const engine = createRulesEngine([
      r('any', {
        all: [{ fact: 'comment', operator: 'containsAny', value: ['envío', 'perché', 'przesyłka'] }],
      }),
      r('all', { all: [{ fact: 'comment', operator: 'containsAll', value: ['muy', 'caro'] }] }),
    ]);
    expect(engine.evaluate({ comment: 'El ENVIO tardó' }).fired).toEqual(['any']);
    expect(engine.evaluate({ comment: 'Perche?' }).fired).toEqual(['any']);
    expect(engine.evaluate({ comment: 'PRZESYLKA zniszczona' }).fired).toEqual(['any']);
    expect(engine.evaluate({ comment: 'Es muy caro' }).fired).toEqual(['all']);
    expect(engine.evaluate({ comment: 'Es muy carolino' }).fired).toEqual([]);
  });

  it('checks NPS categories, ranges, topics, dates and segment subtrees', () => {
    const segments = new SegmentTree([
      { id: 'emea', name: 'EMEA', managers: ['m'] },
      { id: 'es', name: 'Spain', parent: 'emea', managers: ['m'] },
    ]);
    const engine = createRulesEngine([
      r('detractor', { all: [{ fact: 'nps', operator: 'npsCategory', value: 'detractor' }] }),
      r('between', { all: [{ fact: 'nps', operator: 'between', value: [0, 3] }] }),
      r('topic', { all: [{ fact: 'topics', operator: 'matchesTopic', value: 'billing' }] }),
      r('recent', { all: [{ fact: 'receivedAt', operator: 'withinDays', value: 7 }] }),
      r('emea', { all: [{ fact: 'segment', operator: 'inSegmentSubtree', value: 'emea' }] }),
    ]);
    const now = new Date('2026-11-20T00:00:00Z');
    const facts = { nps: 3, topics: ['billing/refund'], receivedAt: '2026-11-15T00:00:00Z', segment: 'es' };
    expect(engine.evaluate(facts, { now, segments }).fired).toEqual([
      'detractor',
      'between',
      'topic',
      'recent',
      'emea',
    ]);
    const other = { nps: 7, topics: ['billingx'], receivedAt: '2026-10-01T00:00:00Z', segment: 'apac' };
    expect(engine.evaluate(other, { now, segments }).fired).toEqual([]);
  });

  it('runs typed custom operators registered from code', () => {
    const longerThan = defineOperator<string, number>({
      name: 'longerThan',
      description: 'text longer than n characters',
      acceptsFact: (f) => typeof f === 'string',
      evaluate: (fact, value) => fact.length > value,
    });
    const engine = createRulesEngine(
      [r('long', { all: [{ fact: 'comment', operator: 'longerThan', value: 5 }] })],
      {
        operators: [longerThan],
      },
    );
    expect(engine.evaluate({ comment: 'much too long' }).fired).toEqual(['long']);
    expect(engine.evaluate({ comment: 42 }).fired).toEqual([]);
  });

  it('refuses an unknown operator when compiling', () => {
    expect(() => createRulesEngine([r('x', { all: [{ fact: 'a', operator: 'nope', value: 1 }] })])).toThrow(
      'Unknown operator: nope',
    );
  });

  it('explains which conditions held, with the values seen, as JSON and text', () => {
    const engine = createRulesEngine([
      {
        id: 'red',
        name: 'Red flag',
        conditions: {
          all: [
            { fact: 'nps', operator: 'lessThanInclusive', value: 3 },
            { not: { fact: 'customer', path: '$.segment', operator: 'equal', value: 'test' } },
          ],
        },
        event: { type: 'flag', params: { flag: 'red' } },
      },
      r('high', {
        any: [
          { fact: 'nps', operator: 'greaterThan', value: 8, priority: 2 },
          { fact: 'nps', operator: 'equal', value: { fact: 'target' } },
        ],
      }),
    ]);
    const explained = engine.explain({ nps: 2, customer: { segment: 'es' }, target: 5 });
    expect(explained.fired).toEqual(['red']);
    expect(explained.rules[0]).toMatchObject({
      ruleId: 'red',
      fired: true,
      conditions: {
        kind: 'all',
        result: true,
        conditions: [
          { kind: 'fact', factValue: 2, result: true },
          { kind: 'not', result: true },
        ],
      },
    });
    expect(formatExplanation(explained.rules)).toBe(
      [
        '✔ fired: red (Red flag), priority 1 -> flag {"flag":"red"}',
        '    ✔ all of',
        '        ✔ nps lessThanInclusive 3 (fact was 2)',
        '        ✔ not',
        '            ✘ customer $.segment equal "test" (fact was "es")',
        '✘ did not fire: high, priority 1',
        '    ✘ any of',
        '        ✘ nps greaterThan 8 (fact was 2)',
        '        ✘ nps equal {"fact":"target"} (fact was 2, value was 5)',
      ].join('\n'),
    );
  });

  it('explains a failed evaluation: no events, the error, and which condition failed', () => {
    const engine = createRulesEngine([r('x', { all: [{ fact: 'missing', operator: 'equal', value: 1 }] })]);
    const explained = engine.explain({});
    expect(explained.fired).toEqual([]);
    expect(explained.error).toEqual({ code: 'UNDEFINED_FACT', message: 'Undefined fact: missing' });
    expect(formatExplanation(explained.rules)).toContain('missing equal 1 (error: Undefined fact: missing)');
  });

  it('marks conditions a higher-priority condition short-circuited as skipped', () => {
    const engine = createRulesEngine([
      r('x', {
        any: [
          { fact: 'nps', operator: 'lessThan', value: 5, priority: 9 },
          { fact: 'nps', operator: 'equal', value: 9 },
        ],
      }),
    ]);
    const text = formatExplanation(engine.explain({ nps: 1 }).rules);
    expect(text).toContain('· nps equal 9 (skipped: decided by a higher-priority condition)');
  });
});

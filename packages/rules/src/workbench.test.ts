import { ClosedLoopError, memoryStore, SegmentTree } from '@closedloop/core';
import { describe, expect, it } from 'vitest';
import { backtest } from './backtest.ts';
import { rulesCatalogue } from './catalogue.ts';
import { checkRuleFiles, diffRuleFiles, pointerToPath } from './files.ts';
import type { RuleFile, RuleSet } from './types.ts';
import { ruleVersions } from './versions.ts';
import { conditionInWords, ruleInWords } from './words.ts';

const names = {
  segments: new Map([
    ['es', 'Spain'],
    ['it', 'Italy'],
  ]),
  people: new Map([['ana', 'Ana García']]),
};

describe('rules in words', () => {
  it('reads a rule the way an ops admin says it, with segment names', () => {
    expect(
      ruleInWords(
        {
          conditions: {
            all: [
              { fact: 'nps', operator: 'npsCategory', value: 'detractor' },
              { fact: 'segment', operator: 'inSegmentSubtree', value: 'es' },
            ],
          },
        },
        names,
      ),
    ).toBe('NPS is detractor and segment is within Spain');
  });

  it('groups any/not, lists, ranges, dates, paths and fact references', () => {
    expect(
      conditionInWords(
        {
          any: [
            { fact: 'segment', operator: 'in', value: ['es', 'it'] },
            { not: { fact: 'topics', operator: 'matchesTopic', value: 'billing' } },
            {
              all: [
                { fact: 'csat', operator: 'between', value: [1, 2] },
                { fact: 'receivedAt', operator: 'withinDays', value: 7 },
              ],
            },
          ],
        },
        names,
      ),
    ).toBe(
      'segment is one of Spain or Italy or not topics include topic billing or (CSAT is between 1 and 2 and received within the last 7 days)',
    );
    expect(conditionInWords({ fact: 'attributes', path: '$.plan', operator: 'equal', value: 'gold' })).toBe(
      'customer attribute plan is gold',
    );
    expect(conditionInWords({ fact: 'nps', operator: 'lessThan', value: { fact: 'customerValue' } })).toBe(
      'NPS is less than the customer value',
    );
  });
});

describe('checkRuleFiles', () => {
  it('turns pointers into field paths', () => {
    expect(pointerToPath('/rules/2/conditions/all/0/value')).toBe('rules[2].conditions.all[0].value');
    expect(pointerToPath('')).toBe('');
  });

  it('refuses kinds that do not exist and bare json-rules-engine lists with how to wrap them', () => {
    const unknown = checkRuleFiles({ routes: { kind: 'route', rules: [] } });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.issues[0]).toMatchObject({
      kind: 'files',
      message: '"routes" is not a rule kind',
    });
    const bare = checkRuleFiles({
      route: [
        {
          conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] },
          event: { type: 'openCase' },
        },
      ],
    });
    expect(!bare.ok && bare.issues[0]).toMatchObject({
      kind: 'route',
      path: '',
      message: expect.stringContaining('bare json-rules-engine rule list'),
      hint: expect.stringContaining('closedloop rules import-jre'),
    });
  });

  it('diffs two sets of files rule by rule', () => {
    const rule = (id: string, priority = 1) => ({
      id,
      priority,
      conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 7 }] },
      event: { type: 'openCase', params: { priority: 'medium' } },
    });
    const before = { route: { kind: 'route', rules: [rule('a'), rule('b')] } as RuleFile };
    const after = { route: { kind: 'route', rules: [rule('a', 2), rule('c')] } as RuleFile };
    expect(diffRuleFiles(before, after)).toEqual([
      { kind: 'route', id: 'a', change: 'changed' },
      { kind: 'route', id: 'c', change: 'added' },
      { kind: 'route', id: 'b', change: 'removed' },
    ]);
  });
});

describe('rulesCatalogue', () => {
  it('lists facts with types, operators and pick lists, and the topics the classify rules add', () => {
    const c = rulesCatalogue(
      {
        classify: {
          kind: 'classify',
          rules: [
            {
              id: 't',
              conditions: { all: [{ fact: 'comment', operator: 'containsAny', value: ['factura'] }] },
              event: { type: 'addTopic', params: { topic: 'billing' } },
            },
          ],
        },
      },
      {
        segments: [{ id: 'es', name: 'Spain' }],
        people: [{ id: 'ana', name: 'Ana' }],
        templates: [{ id: 'thankYou', languages: ['en', 'es'] }],
      },
    );
    const fact = (name: string) => c.facts.find((f) => f.name === name)!;
    expect(fact('nps')).toMatchObject({ type: 'number', label: 'NPS' });
    expect(fact('nps').operators).toEqual(expect.arrayContaining(['npsCategory', 'lessThan', 'between']));
    expect(fact('segment').operators).toContain('inSegmentSubtree');
    expect(fact('comment').operators).not.toContain('inSegmentSubtree');
    expect(fact('receivedAt')).toMatchObject({
      type: 'date',
      operators: expect.arrayContaining(['withinDays']),
    });
    expect(fact('topics').values).toEqual([{ value: 'billing', label: 'billing' }]);
    expect(fact('npsCategory').values?.map((v) => v.value)).toEqual(['promoter', 'passive', 'detractor']);
    expect(c.topics).toEqual(['billing']);
    expect(c.eventTypes.alert).toEqual(['alert']);
  });
});

describe('ruleVersions', () => {
  const files = { route: { kind: 'route', rules: [] } as RuleFile };

  it('numbers versions, keeps who/when/why, and points current at the latest', async () => {
    const store = memoryStore();
    const versions = ruleVersions(store.documents);
    expect(await versions.current()).toBeUndefined();
    const now = new Date('2026-12-01T10:00:00Z');
    await versions.publish({ files, by: 'ana', comment: 'first', now });
    const second = await versions.publish({ files, by: 'bob', comment: 'second', now });
    expect(second).toMatchObject({
      version: 'v2',
      publishedBy: 'bob',
      publishedAt: '2026-12-01T10:00:00.000Z',
    });
    expect((await versions.current())?.version).toBe('v2');
    expect((await versions.list()).map((v) => [v.version, v.current])).toEqual([
      ['v2', true],
      ['v1', false],
    ]);
    expect(await versions.get('../etc')).toBeUndefined();
  });

  it('gives two concurrent publishers different versions, and current ends at the newest', async () => {
    const store = memoryStore();
    const versions = ruleVersions(store.documents);
    const published = await Promise.all(
      Array.from({ length: 5 }, (_, i) => versions.publish({ files, by: `p${i}`, comment: 'race' })),
    );
    expect(new Set(published.map((p) => p.version)).size).toBe(5);
    expect((await versions.current())?.version).toBe('v5');
  });

  it('says so when a document write fails for another reason', async () => {
    const store = memoryStore();
    await store.close();
    await expect(
      ruleVersions(store.documents).publish({ files, by: 'a', comment: 'x' }),
    ).rejects.toBeInstanceOf(ClosedLoopError);
  });
});

describe('backtest', () => {
  const segments = new SegmentTree([{ id: 'es', name: 'Spain', managers: ['ana', 'luis'] }]);
  const set = (version: string, params: Record<string, unknown>, extra: RuleFile['rules'] = []): RuleSet => ({
    version,
    files: {
      route: {
        kind: 'route',
        rules: [
          ...extra,
          {
            id: 'detractor',
            conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'detractor' }] },
            event: { type: 'openCase', params: { priority: 'medium', ...params } },
          },
        ],
      },
    },
  });
  const feedback = [
    {
      id: 'f1',
      source: { tool: 't', responseId: '1' },
      receivedAt: '2026-11-01T10:00:00Z',
      nps: 2,
      customer: { anonymous: false, email: 'x@example.com', segment: 'es' },
    },
  ];

  it('sees no owner change when the new rules leave the owner to capture and capture picks the same one', () => {
    const report = backtest(set('old', { owner: 'ana' }), set('new', {}), feedback, { segments });
    expect(report.changed).toBe(0);
    const other = backtest(set('old', { owner: 'luis' }), set('new', {}), feedback, { segments });
    expect(other.fields).toEqual([
      { field: 'owner', count: 1, examples: [{ feedbackId: 'f1', before: 'luis', after: 'ana' }] },
    ]);
  });

  it('does not count a rule whose event was shadowed by an earlier rule as fired', () => {
    const first = {
      id: 'first',
      priority: 5,
      conditions: { all: [{ fact: 'nps', operator: 'lessThan', value: 5 }] },
      event: { type: 'openCase', params: { priority: 'high' } },
    } as RuleFile['rules'][number];
    const report = backtest(set('old', {}), set('new', {}, [first]), feedback, { segments });
    expect(report.rules).toHaveLength(2);
    expect(report.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleId: 'first', firedOld: 0, firedNew: 1 }),
        expect.objectContaining({ ruleId: 'detractor', firedOld: 1, firedNew: 0, lost: 1 }),
      ]),
    );
  });
});

// The analytics test suite, run on every database (SQLite, PostgreSQL): hand-computed fixtures and
// fast-check properties. `open()` gives a store to write through and an executor over its tables.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentTree } from '../domain/people.ts';
import type { StepWrite, Store } from '../stores/store.ts';
import {
  type Analytics,
  createAnalytics,
  type MetricQuery,
  type Percentiles,
  type Period,
} from './analytics.ts';
import type { SqlExecutor, SqlRow } from './executor.ts';
import { createRowScanAnalytics } from './figures.ts';
import { type FixtureAnswer, fixtureStep } from './fixtures.ts';
import { DURATION_ERROR, ROLLUP_TABLES, rebuildRollups } from './rollups.ts';

export interface AnalyticsHarness {
  store: Store;
  executor: SqlExecutor;
  /** Empties the store's tables. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export const segments = new SegmentTree([
  { id: 'EU', name: 'Europe', managers: ['eva'] },
  { id: 'EU-FR', name: 'France', parent: 'EU', managers: ['francois'] },
  { id: 'EU-DE', name: 'Germany', parent: 'EU', managers: ['dieter'] },
  { id: 'EU-DE-B2B', name: 'Germany B2B', parent: 'EU-DE', managers: ['dieter'] },
  { id: 'US', name: 'United States', managers: ['sam'] },
]);

const h = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();

/** The hand-computed fixture: the ISO week of Monday 2026-01-05, plus a few answers around it. */
export const ANSWERS: FixtureAnswer[] = [
  {
    responseId: 'a1',
    at: '2026-01-05T09:00:00.000Z',
    nps: 10,
    csat: 5,
    segment: 'EU-FR',
    touchpoint: 'web',
    language: 'fr',
    topics: ['delivery'],
  },
  {
    responseId: 'a2',
    at: '2026-01-05T10:00:00.000Z',
    nps: 3,
    segment: 'EU-FR',
    touchpoint: 'web',
    language: 'fr',
    topics: ['delivery', 'price'],
    flags: ['red'],
    comment: '<b>late</b> & "broken"',
    case: {
      status: 'resolved',
      firstRespondedAt: h('2026-01-05T10:00:00.000Z', 1),
      resolvedAt: h('2026-01-05T10:00:00.000Z', 24),
      rootCause: 'carrier',
    },
  },
  {
    responseId: 'a3',
    at: '2026-01-06T08:00:00.000Z',
    nps: 8,
    csat: 3,
    segment: 'EU-DE',
    touchpoint: 'app',
    language: 'de',
    topics: ['price'],
  },
  {
    responseId: 'a4',
    at: '2026-01-07T12:00:00.000Z',
    nps: 5,
    segment: 'EU-DE-B2B',
    touchpoint: 'app',
    language: 'de',
    topics: ['support'],
    flags: ['yellow'],
    case: {
      status: 'open',
      firstRespondedAt: h('2026-01-07T12:00:00.000Z', 3),
      breaches: [{ kind: 'resolution', at: '2026-01-09T12:00:00.000Z' }],
    },
  },
  {
    responseId: 'a5',
    at: '2026-01-08T00:00:00.000Z',
    nps: 6,
    segment: 'EU',
    touchpoint: 'web',
    language: 'en',
    flags: ['red'],
    comment: 'terrible',
    case: { status: 'new', breaches: [{ kind: 'firstResponse', at: '2026-01-08T04:00:00.000Z' }] },
  },
  {
    responseId: 'a6',
    at: '2026-01-09T00:00:00.000Z',
    nps: 9,
    csat: 4,
    segment: 'US',
    touchpoint: 'web',
    language: 'en',
  },
  {
    responseId: 'a7',
    at: '2026-01-10T00:00:00.000Z',
    nps: 0,
    segment: 'US',
    touchpoint: 'phone',
    language: 'en',
    case: {
      status: 'resolved',
      firstRespondedAt: h('2026-01-10T00:00:00.000Z', 2),
      resolvedAt: h('2026-01-10T00:00:00.000Z', 48),
      rootCause: 'carrier',
    },
  },
  {
    responseId: 'a8',
    at: '2026-01-11T23:59:59.000Z',
    csat: 1,
    segment: 'EU-FR',
    touchpoint: 'web',
    language: 'fr',
    anonymous: true,
  },
  { responseId: 'a9', at: '2026-01-12T00:00:00.000Z', nps: 10, segment: 'EU-FR', inReplyToResponse: 'a2' },
  { responseId: 'a10', at: '2026-01-13T00:00:00.000Z', nps: 4, segment: 'US', inReplyToResponse: 'a7' },
  {
    responseId: 'a11',
    at: '2025-12-31T12:00:00.000Z',
    nps: 7,
    segment: 'EU-DE',
    case: {
      status: 'resolved',
      firstRespondedAt: h('2025-12-31T12:00:00.000Z', 0.5),
      resolvedAt: h('2025-12-31T12:00:00.000Z', 5),
      rootCause: 'billing',
    },
  },
];

export const WEEK = { from: '2026-01-05T00:00:00Z', to: '2026-01-12T00:00:00Z' };
const HOUR = 3_600_000;

/** A percentile from the duration histogram: the exact nearest-rank value within its error bound. */
export function expectDuration(p: Percentiles, count: number, p50: number | null, p90: number | null): void {
  expect(p.count).toBe(count);
  for (const [got, exact] of [
    [p.p50, p50],
    [p.p90, p90],
  ] as const) {
    if (exact === null) expect(got).toBeNull();
    else expect(Math.abs(got! - exact)).toBeLessThanOrEqual(exact * DURATION_ERROR + 1);
  }
}

/** Stores the answers, re-surveys after the rest (as in life: a re-survey follows its case). */
export async function load(store: Store, answers: readonly FixtureAnswer[]): Promise<void> {
  const replies = answers.filter((a) => a.inReplyToResponse !== undefined);
  await Promise.all(answers.filter((a) => !replies.includes(a)).map((a) => store.commit(fixtureStep(a))));
  await Promise.all(replies.map((a) => store.commit(fixtureStep(a))));
}

export function describeAnalytics(name: string, open: () => Promise<AnalyticsHarness>): void {
  describe(`analytics on ${name}`, () => {
    let harness: AnalyticsHarness;
    let analytics: Analytics;
    beforeAll(async () => {
      harness = await open();
      analytics = createAnalytics(harness.executor, { segments });
      await analytics.prepare();
      await analytics.prepare(); // idempotent
      await load(harness.store, ANSWERS);
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('computes the week’s NPS with counts and a 95% interval', async () => {
      const [row] = await analytics.nps(WEEK);
      expect(row).toMatchObject({
        period: 'all',
        group: 'all',
        responses: 7,
        promoters: 2,
        passives: 1,
        detractors: 4,
        nps: -28.57,
      });
      // p = 2/7, d = 4/7: var = 6/7 − (2/7)² = 38/49, half-width = 1.96·√(38/49/7) = 65.24 points
      expect(row?.ci?.low).toBeCloseTo(-93.81, 1);
      expect(row?.ci?.high).toBeCloseTo(36.67, 1);
    });

    it('breaks the NPS down by period', async () => {
      const days = await analytics.nps({ ...WEEK, period: 'day' });
      expect(days.map((r) => [r.period, r.responses, r.nps])).toEqual([
        ['2026-01-05', 2, 0],
        ['2026-01-06', 1, 0],
        ['2026-01-07', 1, -100],
        ['2026-01-08', 1, -100],
        ['2026-01-09', 1, 100],
        ['2026-01-10', 1, -100],
      ]);
      const weeks = await analytics.nps({ period: 'week' });
      expect(weeks.map((r) => [r.period, r.responses])).toEqual([
        ['2025-12-29', 1],
        ['2026-01-05', 7],
        ['2026-01-12', 2],
      ]);
      expect((await analytics.nps({ period: 'month' })).map((r) => r.period)).toEqual([
        '2025-12-01',
        '2026-01-01',
      ]);
      expect((await analytics.nps({ period: 'quarter' })).map((r) => r.period)).toEqual([
        '2025-10-01',
        '2026-01-01',
      ]);
    });

    it('rolls segments up over their subtree', async () => {
      const byRoot = await analytics.nps({ ...WEEK, by: 'segment' });
      expect(byRoot.map((r) => [r.group, r.responses, r.nps])).toEqual([
        ['EU', 5, -40],
        ['US', 2, 0],
      ]);
      const eu = await analytics.nps({ ...WEEK, segment: 'EU', by: 'segment' });
      expect(eu.map((r) => [r.group, r.responses, r.nps])).toEqual([
        ['EU', 1, -100],
        ['EU-DE', 2, -50],
        ['EU-FR', 2, 0],
      ]);
      const [de] = await analytics.nps({ ...WEEK, segment: 'EU-DE' });
      expect(de).toMatchObject({ responses: 2, passives: 1, detractors: 1 });
    });

    it('filters and groups by touchpoint and language', async () => {
      const [web] = await analytics.nps({ ...WEEK, touchpoint: 'web' });
      expect(web).toMatchObject({ responses: 4, promoters: 2, detractors: 2, nps: 0 });
      const langs = await analytics.nps({ ...WEEK, by: 'language' });
      expect(langs.map((r) => [r.group, r.nps])).toEqual([
        ['de', -50],
        ['en', -33.33],
        ['fr', 0],
      ]);
    });

    it('computes CSAT and response counts', async () => {
      expect(await analytics.csat(WEEK)).toEqual([
        {
          period: 'all',
          group: 'all',
          responses: 4,
          satisfied: 2,
          neutral: 1,
          dissatisfied: 1,
          csat: 50,
          average: 3.25,
        },
      ]);
      expect(await analytics.responses(WEEK)).toEqual([
        { period: 'all', group: 'all', total: 8, withNps: 7, withCsat: 4, anonymous: 1 },
      ]);
    });

    it('computes the detractor recovery rate from re-survey answers', async () => {
      expect(await analytics.recovery({ period: 'week' })).toEqual([
        { period: '2026-01-12', group: 'all', resurveyed: 2, recovered: 1, promoters: 1, rate: 50 },
      ]);
      const [eu] = await analytics.recovery({ segment: 'EU' });
      expect(eu).toMatchObject({ resurveyed: 1, recovered: 1, rate: 100 });
    });

    it('computes nearest-rank p50/p90 of first response and resolution times, within the histogram error', async () => {
      const [row] = await analytics.responseTimes(WEEK);
      expect(row).toMatchObject({ period: 'all', group: 'all' });
      expectDuration(row!.firstResponse, 3, 2 * HOUR, 3 * HOUR);
      expectDuration(row!.resolution, 2, 24 * HOUR, 48 * HOUR);
    });

    it('computes the SLA breach rate', async () => {
      expect(await analytics.slaBreachRate(WEEK)).toEqual([
        {
          period: 'all',
          group: 'all',
          cases: 4,
          breached: 2,
          firstResponseBreached: 1,
          resolutionBreached: 1,
          rate: 50,
        },
      ]);
    });

    it('breaks case metrics down by the touchpoint of their feedback', async () => {
      const rows = await analytics.slaBreachRate({ ...WEEK, by: 'touchpoint' });
      expect(rows.map((r) => [r.group, r.cases, r.breached])).toEqual([
        ['app', 1, 1],
        ['phone', 1, 0],
        ['web', 2, 1],
      ]);
      const [fr] = await analytics.responseTimes({ ...WEEK, language: 'fr' });
      expectDuration(fr!.firstResponse, 1, HOUR, HOUR);
    });

    it('ages the open-case backlog', async () => {
      const rows = await analytics.backlog({ asOf: '2026-01-12T00:00:00Z', by: 'segment' });
      expect(rows).toEqual([
        {
          group: 'EU',
          open: 2,
          byAge: { '<1d': 0, '1-3d': 0, '3-7d': 2, '7-30d': 0, '>30d': 0 },
          oldestMs: 108 * HOUR,
        },
      ]);
      const [early] = await analytics.backlog({ asOf: '2026-01-08T06:00:00Z' });
      expect(early?.byAge).toEqual({ '<1d': 2, '1-3d': 0, '3-7d': 0, '7-30d': 0, '>30d': 0 });
    });

    it('builds the root-cause Pareto', async () => {
      expect(await analytics.rootCauses({})).toEqual([
        { rootCause: 'carrier', cases: 2, share: 66.67, cumulativeShare: 66.67 },
        { rootCause: 'billing', cases: 1, share: 33.33, cumulativeShare: 100 },
      ]);
      expect(await analytics.rootCauses({ segment: 'US' })).toEqual([
        { rootCause: 'carrier', cases: 1, share: 100, cumulativeShare: 100 },
      ]);
    });

    it('counts topic mentions with their NPS', async () => {
      const rows = await analytics.topicTrends(WEEK);
      expect(rows.map((r) => [r.topic, r.mentions, r.detractors, r.nps])).toEqual([
        ['delivery', 2, 1, 0],
        ['price', 2, 1, -50],
        ['support', 1, 1, -100],
      ]);
    });

    it('lists red-flag cases and SLA breaches of a range, newest first', async () => {
      const red = await analytics.redFlagCases(WEEK);
      expect(red.map((r) => r.comment)).toEqual(['terrible', '<b>late</b> & "broken"']);
      expect(red[0]).toMatchObject({ segment: 'EU', status: 'new', nps: 6 });
      const breaches = await analytics.breaches(WEEK);
      expect(breaches.map((b) => [b.kind, b.at])).toEqual([
        ['resolution', '2026-01-09T12:00:00.000Z'],
        ['firstResponse', '2026-01-08T04:00:00.000Z'],
      ]);
      expect(await analytics.breaches({ ...WEEK, segment: 'US' })).toEqual([]);
    });

    it('refuses an unknown segment and a bad date with a clear message', async () => {
      await expect(analytics.nps({ segment: 'ASIA' })).rejects.toThrow(/Unknown segment "ASIA"/);
      await expect(analytics.nps({ from: 'last tuesday' })).rejects.toThrow(/Invalid from "last tuesday"/);
    });
  });

  describe(`analytics properties on ${name}`, () => {
    let harness: AnalyticsHarness;
    let analytics: Analytics;
    beforeAll(async () => {
      harness = await open();
      analytics = createAnalytics(harness.executor, { segments });
      await analytics.prepare();
    });
    afterAll(async () => {
      await harness?.close();
    });

    const ids = segments.all().map((s) => s.id);
    const answer = fc.record({
      nps: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
      csat: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
      segment: fc.option(fc.constantFrom(...ids), { nil: undefined }),
      minute: fc.integer({ min: 0, max: 60 * 24 * 21 }),
      withCase: fc.boolean(),
      firstAfter: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
    });
    const answers = fc.array(answer, { minLength: 0, maxLength: 40 }).map((list) =>
      list.map(
        (a, i): FixtureAnswer => ({
          responseId: `p${i}`,
          at: new Date(Date.parse('2026-01-05T00:00:00Z') + a.minute * 60_000).toISOString(),
          ...(a.nps !== undefined ? { nps: a.nps } : {}),
          ...(a.csat !== undefined ? { csat: a.csat } : {}),
          ...(a.segment !== undefined ? { segment: a.segment } : {}),
          ...(a.withCase
            ? {
                case: {
                  status: 'open',
                  ...(a.firstAfter !== undefined
                    ? {
                        firstRespondedAt: new Date(
                          Date.parse('2026-01-05T00:00:00Z') + (a.minute + a.firstAfter) * 60_000,
                        ).toISOString(),
                      }
                    : {}),
                },
              }
            : {}),
        }),
      ),
    );

    it('keeps the NPS and its interval in [-100, 100]', async () => {
      await fc.assert(
        fc.asyncProperty(answers, async (list) => {
          await harness.clear();
          await load(harness.store, list);
          for (const row of await analytics.nps({ period: 'day', by: 'segment' })) {
            expect(row.nps).toBeGreaterThanOrEqual(-100);
            expect(row.nps).toBeLessThanOrEqual(100);
            expect(row.ci!.low).toBeGreaterThanOrEqual(-100);
            expect(row.ci!.high).toBeLessThanOrEqual(100);
            expect(row.ci!.low).toBeLessThanOrEqual(row.nps!);
            expect(row.ci!.high).toBeGreaterThanOrEqual(row.nps!);
          }
        }),
        { numRuns: 25 },
      );
    });

    it("computes a parent segment's figures equal to the roll-up of its children", async () => {
      await fc.assert(
        fc.asyncProperty(answers, fc.constantFrom('EU', 'EU-DE'), async (list, parent) => {
          await harness.clear();
          await load(harness.store, list);
          const [direct] = await analytics.nps({ segment: parent });
          const own = await analytics.nps({ segment: parent, by: 'segment' });
          const parts = await Promise.all(
            [[parent, false] as const, ...segments.children(parent).map((c) => [c, true] as const)].map(
              async ([s, sub]) => {
                const rows = sub ? await analytics.nps({ segment: s }) : own.filter((r) => r.group === s);
                return rows[0];
              },
            ),
          );
          const sum = (k: 'responses' | 'promoters' | 'passives' | 'detractors') =>
            parts.reduce((t, r) => t + (r?.[k] ?? 0), 0);
          expect(sum('responses')).toBe(direct?.responses ?? 0);
          expect(sum('promoters')).toBe(direct?.promoters ?? 0);
          expect(sum('detractors')).toBe(direct?.detractors ?? 0);
          expect(own.reduce((t, r) => t + r.responses, 0)).toBe(direct?.responses ?? 0);
          const csatDirect = (await analytics.csat({ segment: parent }))[0]?.responses ?? 0;
          const csatParts = (await analytics.csat({ segment: parent, by: 'segment' })).reduce(
            (t, r) => t + r.responses,
            0,
          );
          expect(csatParts).toBe(csatDirect);
          const slaDirect = (await analytics.slaBreachRate({ segment: parent }))[0]?.cases ?? 0;
          const slaParts = (await analytics.slaBreachRate({ segment: parent, by: 'segment' })).reduce(
            (t, r) => t + r.cases,
            0,
          );
          expect(slaParts).toBe(slaDirect);
        }),
        { numRuns: 25 },
      );
    });

    it('keeps percentiles ordered and within the observed durations', async () => {
      await fc.assert(
        fc.asyncProperty(answers, async (list) => {
          await harness.clear();
          await load(harness.store, list);
          for (const row of await analytics.responseTimes({ period: 'week' })) {
            const p = row.firstResponse;
            if (p.count === 0) continue;
            expect(p.p50!).toBeLessThanOrEqual(p.p90!);
            // Within the histogram's relative error of the observed range.
            expect(p.p50!).toBeGreaterThanOrEqual(60_000 * (1 - DURATION_ERROR));
            expect(p.p90!).toBeLessThanOrEqual(5000 * 60_000 * (1 + DURATION_ERROR));
          }
        }),
        { numRuns: 15 },
      );
    });
  });

  describe(`rollups on ${name}`, () => {
    let harness: AnalyticsHarness;
    let analytics: Analytics;
    let oracle: Analytics;
    beforeAll(async () => {
      harness = await open();
      analytics = createAnalytics(harness.executor, { segments });
      oracle = createRowScanAnalytics(harness.executor, { segments });
    });
    afterAll(async () => {
      await harness?.close();
    });

    const BASE = Date.parse('2026-01-05T00:00:00Z');
    const DAY = 86_400_000;
    const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();
    const ids = segments.all().map((s) => s.id);
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const answer = fc.record({
      nps: opt(fc.integer({ min: 0, max: 10 })),
      csat: opt(fc.integer({ min: 1, max: 5 })),
      segment: opt(fc.constantFrom(...ids)),
      touchpoint: opt(fc.constantFrom('web', 'app', 'phone')),
      language: opt(fc.constantFrom('en', 'fr')),
      anonymous: fc.boolean(),
      topics: fc.array(fc.constantFrom('delivery', 'price', 'support'), { maxLength: 3 }),
      // Near midnight often, to catch a day assigned on the wrong side.
      minute: fc.oneof(
        fc.integer({ min: 0, max: 60 * 24 * 40 }),
        fc.integer({ min: 1, max: 40 }).map((d) => d * 1440 - 1),
      ),
      reply: fc.boolean(),
      kase: opt(
        fc.record({
          firstAfter: opt(fc.integer({ min: 0, max: 60 * 24 * 10 })),
          resolvedAfter: opt(fc.integer({ min: 1, max: 60 * 24 * 30 })),
          rootCause: opt(fc.constantFrom('carrier', 'billing', 'stock')),
          breaches: fc.subarray(['firstResponse', 'resolution'] as const),
        }),
      ),
    });
    const answers = fc.array(answer, { maxLength: 30 }).map((list) =>
      list.map(
        (a, i): FixtureAnswer => ({
          responseId: `q${i}`,
          at: at(a.minute),
          ...(a.nps !== undefined ? { nps: a.nps } : {}),
          ...(a.csat !== undefined ? { csat: a.csat } : {}),
          ...(a.segment !== undefined ? { segment: a.segment } : {}),
          ...(a.touchpoint !== undefined ? { touchpoint: a.touchpoint } : {}),
          ...(a.language !== undefined ? { language: a.language } : {}),
          anonymous: a.anonymous,
          topics: a.topics,
          ...(a.reply && i > 0 ? { inReplyToResponse: `q${i - 1}` } : {}),
          ...(a.kase
            ? {
                case: {
                  status: a.kase.resolvedAfter !== undefined ? 'resolved' : 'open',
                  ...(a.kase.firstAfter !== undefined
                    ? { firstRespondedAt: at(a.minute + a.kase.firstAfter) }
                    : {}),
                  ...(a.kase.resolvedAfter !== undefined
                    ? {
                        resolvedAt: at(a.minute + a.kase.resolvedAfter),
                        ...(a.kase.rootCause ? { rootCause: a.kase.rootCause } : {}),
                      }
                    : {}),
                  breaches: a.kase.breaches.map((kind) => ({ kind, at: at(a.minute + 60) })),
                },
              }
            : {}),
        }),
      ),
    );
    const query = fc.record({
      from: opt(fc.integer({ min: -3, max: 40 })),
      days: fc.integer({ min: 1, max: 120 }),
      period: opt(fc.constantFrom('day', 'week', 'month', 'quarter') as fc.Arbitrary<Period>),
      by: opt(fc.constantFrom('segment', 'touchpoint', 'language') as fc.Arbitrary<MetricQuery['by']>),
      segment: opt(fc.constantFrom(...ids)),
      touchpoint: opt(fc.constantFrom('web', 'app')),
    });

    /** Stores each answer as the runtime does over two steps: the case opens, then moves on. */
    async function capture(list: readonly FixtureAnswer[]) {
      for (const a of list) {
        const final = fixtureStep(a);
        if (!final.case) {
          await harness.store.commit(final);
          continue;
        }
        const opened = fixtureStep({ ...a, case: { status: 'new' } });
        await harness.store.commit(opened);
        const loop = { ...final.loop, version: 2 };
        await harness.store.commit({ ...final, loop, feedback: undefined, expectedVersion: 1 } as StepWrite);
      }
    }

    async function tables(): Promise<Record<string, SqlRow[]>> {
      const out: Record<string, SqlRow[]> = {};
      for (const t of ROLLUP_TABLES) {
        const rows = await harness.executor.all(`SELECT * FROM ${harness.executor.table(t)}`);
        out[t] = rows
          .map((r) =>
            Object.fromEntries(
              Object.entries(r).map(([k, v]) => [
                k,
                v instanceof Date
                  ? v.toISOString().slice(0, 10)
                  : typeof v === 'string' && /^\d+$/.test(v) && k !== 'day'
                    ? Number(v)
                    : v,
              ]),
            ),
          )
          .filter((r) =>
            Object.entries(r).some(([k, v]) => typeof v === 'number' && k !== 'bucket' && v !== 0),
          )
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      }
      return out;
    }

    it('gives the row scan’s figures for random data and random periods, kept step by step and rebuilt', async () => {
      await fc.assert(
        fc.asyncProperty(answers, query, async (list, qa) => {
          await harness.clear();
          await capture(list);
          const q: MetricQuery = {
            ...(qa.from !== undefined
              ? {
                  from: new Date(BASE + qa.from * DAY).toISOString(),
                  to: new Date(BASE + (qa.from + qa.days) * DAY).toISOString(),
                }
              : {}),
            ...(qa.period ? { period: qa.period } : {}),
            ...(qa.by ? { by: qa.by } : {}),
            ...(qa.segment ? { segment: qa.segment } : {}),
            ...(qa.touchpoint ? { touchpoint: qa.touchpoint } : {}),
          };
          const compare = async () => {
            expect(await analytics.nps(q)).toEqual(await oracle.nps(q));
            expect(await analytics.csat(q)).toEqual(await oracle.csat(q));
            expect(await analytics.responses(q)).toEqual(await oracle.responses(q));
            expect(await analytics.recovery(q)).toEqual(await oracle.recovery(q));
            expect(await analytics.slaBreachRate(q)).toEqual(await oracle.slaBreachRate(q));
            expect(await analytics.rootCauses(q)).toEqual(await oracle.rootCauses(q));
            expect(await analytics.topicTrends(q)).toEqual(await oracle.topicTrends(q));
            const times = await analytics.responseTimes(q);
            const exact = await oracle.responseTimes(q);
            expect(times.map((r) => [r.period, r.group])).toEqual(exact.map((r) => [r.period, r.group]));
            times.forEach((r, i) => {
              const e = exact[i]!;
              expectDuration(
                r.firstResponse,
                e.firstResponse.count,
                e.firstResponse.p50,
                e.firstResponse.p90,
              );
              expectDuration(r.resolution, e.resolution.count, e.resolution.p50, e.resolution.p90);
            });
          };
          await compare();
          const kept = await tables();
          await rebuildRollups(harness.executor);
          expect(await tables()).toEqual(kept);
          await compare();
        }),
        { numRuns: 30 },
      );
    });

    it('rebuilds only the days asked for, and refuses a bound inside a day', async () => {
      await harness.clear();
      await capture([
        { responseId: 'r1', at: '2026-01-05T10:00:00Z', nps: 9 },
        { responseId: 'r2', at: '2026-01-06T10:00:00Z', nps: 2 },
      ]);
      const F = harness.executor.table('learn_feedback_daily');
      await harness.executor.exec(`DELETE FROM ${F}`);
      expect(await rebuildRollups(harness.executor, { from: '2026-01-06', to: '2026-01-07' })).toEqual({
        days: 1,
      });
      expect((await analytics.nps({ period: 'day' })).map((r) => [r.period, r.detractors])).toEqual([
        ['2026-01-06', 1],
      ]);
      await expect(rebuildRollups(harness.executor, { from: '2026-01-06T12:00:00Z' })).rejects.toThrow(
        /Invalid from "2026-01-06T12:00:00Z": rollups cover whole UTC days/,
      );
      await expect(analytics.nps({ from: '2026-01-06T12:00:00Z' })).rejects.toThrow(
        /report figures count whole UTC days/,
      );
    });
  });
}

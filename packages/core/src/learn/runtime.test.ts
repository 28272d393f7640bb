// The analytics over rows written by the real embedded runtime (not hand-made ones): captures, a
// case worked and resolved with a root cause, an SLA breach, and a re-survey answer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decider } from '../domain/decision.ts';
import { defaultDecider } from '../domain/default-decider.ts';
import { SegmentTree } from '../domain/people.ts';
import { people, segments as segmentList } from '../machine/fixtures.ts';
import { manualClock } from '../runtime/clock.ts';
import { createClosedLoop } from '../runtime/closed-loop.ts';
import { recordingConnector } from '../runtime/test-kit.ts';
import type { ClosedLoop } from '../runtime/types.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import { expectDuration } from './analytics.suite.ts';
import { type Analytics, createAnalytics } from './analytics.ts';
import { sqliteExecutor } from './executor.ts';
import { buildReport } from './report.ts';

const T0 = Date.parse('2026-11-02T09:00:00Z'); // a Monday
const WEEK = { from: '2026-11-02', to: '2026-11-09' };
const MINUTE = 60_000;
const base = defaultDecider();
const decider: Decider = {
  version: 'learn-test@1',
  decide: async (...args) => {
    const d = await base.decide(...args);
    const comment = args[0].comment ?? '';
    return {
      ...d,
      classification: { ...d.classification, topics: comment.includes('tarde') ? ['delivery'] : [] },
    };
  },
};

let loop: ClosedLoop;
let db: DatabaseSync;
let analytics: Analytics;
let clock: ReturnType<typeof manualClock>;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'learn-runtime-')), 'closedloop.sqlite');
  clock = manualClock(T0);
  loop = createClosedLoop({
    store: sqliteStore({ path, synchronous: 'NORMAL' }),
    directory: people,
    segments: segmentList,
    decider,
    connectors: [recordingConnector()],
    clock,
  });
  const customer = (email: string, segment: string) => ({ email, segment });
  const r1 = await loop.capture({
    source: { tool: 'typeform', responseId: 'r1' },
    customer: customer('lucia@example.es', 'spain'),
    nps: 3,
    comment: 'El envío llegó tarde',
    language: 'es',
    touchpoint: 'delivery',
  });
  await loop.capture({
    source: { tool: 'typeform', responseId: 'r2' },
    customer: customer('gio@example.it', 'italy'),
    nps: 10,
  });
  await loop.capture({
    source: { tool: 'typeform', responseId: 'r3' },
    customer: customer('ada@example.it', 'milan'),
    nps: 8,
  });
  await loop.capture({
    source: { tool: 'typeform', responseId: 'r4' },
    customer: customer('sam@example.com', 'americas'),
    nps: 5,
  });
  const caseId = r1.case!.id;
  await clock.advance(30 * MINUTE);
  await loop.cases.update(caseId, { status: 'open' }, { actor: 'ana' });
  await clock.advance(90 * MINUTE);
  await loop.cases.resolve(caseId, { rootCause: 'carrier delay' }, { actor: 'ana' });
  await clock.advance(25 * 60 * MINUTE); // r4's first-response deadline (24 h) passes
  await loop.capture({
    source: { tool: 'typeform', responseId: 'r1-resurvey' },
    customer: customer('lucia@example.es', 'spain'),
    nps: 9,
    inReplyTo: r1.loopId,
  });
  db = new DatabaseSync(path);
  analytics = createAnalytics(sqliteExecutor(db), { segments: new SegmentTree(segmentList) });
  await analytics.prepare();
});
afterAll(async () => {
  await loop?.close();
  db?.close();
});

describe('analytics over the embedded runtime’s rows', () => {
  it('counts every answer, the re-survey included, and rolls segments up', async () => {
    expect(await analytics.nps(WEEK)).toMatchObject([
      { responses: 5, promoters: 2, passives: 1, detractors: 2, nps: 0 },
    ]);
    const emea = await analytics.nps({ ...WEEK, segment: 'emea', by: 'segment' });
    expect(emea.map((r) => [r.group, r.responses, r.nps])).toEqual([
      ['italy', 2, 50],
      ['spain', 2, 0],
    ]);
  });

  it('measures recovery, response times, breaches and root causes from the cases', async () => {
    expect(await analytics.recovery(WEEK)).toMatchObject([
      { resurveyed: 1, recovered: 1, promoters: 1, rate: 100 },
    ]);
    const times = await analytics.responseTimes(WEEK);
    expect(times).toHaveLength(1);
    expectDuration(times[0]!.firstResponse, 1, 30 * MINUTE, 30 * MINUTE);
    expectDuration(times[0]!.resolution, 1, 120 * MINUTE, 120 * MINUTE);
    expect(await analytics.slaBreachRate(WEEK)).toMatchObject([
      { cases: 2, breached: 1, firstResponseBreached: 1 },
    ]);
    expect(await analytics.rootCauses(WEEK)).toEqual([
      { rootCause: 'carrier delay', cases: 1, share: 100, cumulativeShare: 100 },
    ]);
    const [breach] = await analytics.breaches(WEEK);
    expect(breach).toMatchObject({ segment: 'americas', kind: 'firstResponse' });
    const backlog = await analytics.backlog({ asOf: new Date(clock.now()).toISOString() });
    expect(backlog).toMatchObject([{ open: 1, byAge: { '1-3d': 1 } }]);
  });

  it('reads topics and red flags from the loops’ classification', async () => {
    expect((await analytics.topicTrends(WEEK)).map((t) => [t.topic, t.mentions, t.nps])).toEqual([
      ['delivery', 1, -100],
    ]);
    expect((await analytics.redFlagCases(WEEK)).map((c) => c.comment)).toEqual(['El envío llegó tarde']);
  });

  it('builds the weekly report from them', async () => {
    const report = await buildReport(analytics, {
      cadence: 'weekly',
      at: '2026-11-09T08:00:00Z',
      segment: 'global',
    });
    expect(report.summary?.recovery?.rate).toBe(100);
    expect(report.bySegment?.map((s) => s.group)).toEqual(['americas', 'emea']);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../domain/people.ts';
import { manualClock } from '../runtime/clock.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { Store } from '../stores/store.ts';
import { ANSWERS, load, segments } from './analytics.suite.ts';
import { type Analytics, createAnalytics } from './analytics.ts';
import { sqliteExecutor } from './executor.ts';
import { renderReportHtml, renderReportText, reportToCsv, reportToEmail, reportToJson } from './render.ts';
import { audienceFor, audienceKey, buildReport, reportRange } from './report.ts';
import { nextRunAt, type ScheduledDelivery, scheduleReports } from './schedule.ts';

let store: Store;
let db: DatabaseSync;
let analytics: Analytics;
beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'learn-report-')), 'closedloop.sqlite');
  store = sqliteStore({ path, synchronous: 'NORMAL' });
  await store.init();
  await load(store, ANSWERS);
  db = new DatabaseSync(path);
  analytics = createAnalytics(sqliteExecutor(db), { segments });
  await analytics.prepare();
});
afterAll(async () => {
  await store.close();
  db.close();
});

const directory = new Directory([
  { id: 'eva', name: 'Eva', email: 'eva@example.com', roles: ['manager'] },
  { id: 'dieter', name: 'Dieter', email: 'dieter@example.com' },
]);

describe('report ranges', () => {
  it('covers the last complete period before the run time', () => {
    expect(reportRange('weekly', Date.parse('2026-01-13T08:00:00Z')).range).toEqual({
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-12T00:00:00.000Z',
    });
    expect(reportRange('daily', Date.parse('2026-01-09T08:00:00Z')).previous).toEqual({
      from: '2026-01-07T00:00:00.000Z',
      to: '2026-01-08T00:00:00.000Z',
    });
    expect(reportRange('quarterly', Date.parse('2026-04-01T08:00:00Z')).range.from).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(reportRange('monthly', Date.parse('2026-01-01T08:00:00Z')).range.from).toBe(
      '2025-12-01T00:00:00.000Z',
    );
  });
});

describe('buildReport', () => {
  it('builds the weekly trend report from the analytics', async () => {
    const r = await buildReport(analytics, { cadence: 'weekly', at: '2026-01-13T08:00:00Z' });
    expect(r.sections).toEqual([
      'summary',
      'trend',
      'bySegment',
      'byTouchpoint',
      'byLanguage',
      'topics',
      'rootCauses',
      'backlog',
    ]);
    expect(r.summary?.nps).toMatchObject({ responses: 7, nps: -28.57 });
    expect(r.summary?.previousNps).toMatchObject({ responses: 1, nps: 0 });
    expect(r.summary?.sla).toMatchObject({ cases: 4, rate: 50 });
    expect(r.trend?.map((t) => t.period)).toEqual(['2025-12-29', '2026-01-05']);
    expect(r.bySegment?.map((s) => s.group)).toEqual(['EU', 'US']);
    expect(r.topics?.[0]).toEqual({ topic: 'delivery', mentions: 2, previousMentions: 0, nps: 0 });
    expect(r.rootCauses?.[0]).toMatchObject({ rootCause: 'carrier', cases: 2 });
    expect(r.backlog?.[0]?.open).toBe(2);
  });

  it('builds the daily digest with new red-flag cases and breaches', async () => {
    const r = await buildReport(analytics, { cadence: 'daily', at: '2026-01-09T08:00:00Z' });
    expect(r.sections).toEqual(['summary', 'redFlags', 'breaches', 'backlog']);
    expect(r.redFlags?.map((c) => c.comment)).toEqual(['terrible']);
    expect(r.breaches?.map((b) => b.kind)).toEqual(['firstResponse']);
    expect(r.trend).toBeUndefined();
  });

  it('personalises a report to the segments a person manages and the sections they need', async () => {
    const eva = audienceFor(directory.get('eva'), segments, { team: 'care' });
    expect(eva).toMatchObject({ name: 'Eva', segments: ['EU'], role: 'manager', team: 'care' });
    const dieter = audienceFor(directory.get('dieter'), segments, { sections: ['summary', 'bySegment'] });
    expect(dieter.segments).toEqual(['EU-DE']);
    const r = await buildReport(analytics, {
      cadence: 'weekly',
      at: '2026-01-13T08:00:00Z',
      audience: dieter,
    });
    expect(r.sections).toEqual(['summary', 'bySegment']);
    expect(r.segments).toEqual(['EU-DE']);
    expect(r.summary?.nps).toMatchObject({ responses: 2, passives: 1, detractors: 1 });
    expect(r.bySegment?.map((s) => [s.group, s.responses])).toEqual([
      ['EU-DE', 1],
      ['EU-DE-B2B', 1],
    ]);
  });

  it('refuses an unknown cadence, segment or time', async () => {
    await expect(buildReport(analytics, { cadence: 'hourly' as 'daily' })).rejects.toThrow(
      /Unknown cadence "hourly"/,
    );
    await expect(buildReport(analytics, { cadence: 'daily', segment: 'MARS' })).rejects.toThrow(
      /Unknown segment "MARS"/,
    );
    await expect(buildReport(analytics, { cadence: 'daily', at: 'soon' })).rejects.toThrow(
      /Invalid report time "soon"/,
    );
  });
});

describe('rendering', () => {
  it('renders email-safe HTML with inline SVG charts and escaped customer text', async () => {
    const weekly = await buildReport(analytics, {
      cadence: 'weekly',
      at: '2026-01-13T08:00:00Z',
      audience: { name: 'Eva <admin>' },
    });
    const html = renderReportHtml(weekly);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('aria-label="NPS trend"');
    expect(html).toContain('aria-label="Root-cause Pareto"');
    expect(html).toContain('Hello Eva &lt;admin&gt;,');
    expect(html).not.toMatch(/<script/i);
    const daily = await buildReport(analytics, { cadence: 'daily', at: '2026-01-06T08:00:00Z' });
    const dailyHtml = renderReportHtml(daily);
    expect(dailyHtml).toContain('&lt;b&gt;late&lt;/b&gt; &amp; &quot;broken&quot;');
    expect(dailyHtml).not.toContain('<b>late</b>');
  });

  it('renders plain text, JSON and CSV', async () => {
    const daily = await buildReport(analytics, { cadence: 'daily', at: '2026-01-06T08:00:00Z' });
    const text = renderReportText(daily);
    expect(text).toContain('Daily alert digest — 2026-01-05 — all segments');
    expect(text).toContain('New red-flag cases');
    expect(JSON.parse(reportToJson(daily))).toMatchObject({
      cadence: 'daily',
      range: { from: '2026-01-05T00:00:00.000Z' },
    });
    const csv = reportToCsv(daily);
    expect(csv).toContain('section,case,segment,priority,status,owner,NPS,comment\r\n');
    expect(csv).toContain('"<b>late</b> & ""broken"""');
  });

  it('guards CSV cells against spreadsheet formulas', async () => {
    const csv = reportToCsv({
      ...(await buildReport(analytics, { cadence: 'daily', at: '2026-01-06T08:00:00Z' })),
      redFlags: [
        {
          caseId: 'C1',
          segment: 'EU',
          priority: 'high',
          status: 'new',
          owner: 'eva',
          nps: 1,
          comment: '=HYPERLINK("x")',
          createdAt: '',
        },
      ],
    });
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('renders a MIME email with text and HTML parts', async () => {
    const weekly = await buildReport(analytics, {
      cadence: 'weekly',
      at: '2026-01-13T08:00:00Z',
      segment: 'EU',
    });
    const mail = reportToEmail(weekly, {
      from: 'cx@example.com',
      to: ['eva@example.com', 'x@example.com\r\nBcc: evil@example.com'],
    });
    const subject = /Subject: =\?UTF-8\?B\?([^?]+)\?=/.exec(mail)?.[1] ?? '';
    expect(Buffer.from(subject, 'base64').toString()).toBe(
      'Weekly trend report — 2026-01-05 – 2026-01-11 — Europe',
    );
    expect(mail).toContain('Content-Type: text/html; charset=utf-8');
    expect(mail).not.toMatch(/\r\nBcc:/);
    expect(mail).not.toContain('Message-ID');
    const again = reportToEmail(weekly, {
      from: 'cx@example.com',
      to: ['eva@example.com'],
      messageId: 'weekly-eva@closedloop\r\n<x>',
    });
    expect(again).toContain('\r\nMessage-ID: <weekly-eva@closedloopx>\r\n');
  });

  it('keys an audience by id, email or name, safe for schedule ids', () => {
    expect(audienceKey({ id: 'Care Team', email: 'care@example.com' })).toBe('care-team');
    expect(audienceKey({ name: 'Eva Müller', email: 'Eva@Example.com' })).toBe('eva@example.com');
    expect(audienceKey({ name: 'Eva Müller' })).toBe('eva-m-ller');
    expect(audienceKey({})).toBe('everyone');
  });
});

describe('schedule', () => {
  it('computes run times on seed 004’s cadence in a time zone', () => {
    const wed = Date.parse('2026-01-07T12:00:00Z');
    const opts = { timeZone: 'Europe/Madrid' };
    expect(new Date(nextRunAt('daily', wed, opts)).toISOString()).toBe('2026-01-08T07:00:00.000Z');
    expect(new Date(nextRunAt('weekly', wed, opts)).toISOString()).toBe('2026-01-12T07:00:00.000Z');
    expect(new Date(nextRunAt('monthly', wed, opts)).toISOString()).toBe('2026-02-01T07:00:00.000Z');
    expect(new Date(nextRunAt('quarterly', wed, opts)).toISOString()).toBe('2026-04-01T06:00:00.000Z');
    // Daylight saving starts on 2026-03-08 in New York: 08:00 is then 12:00 UTC, not 13:00.
    expect(
      new Date(
        nextRunAt('daily', Date.parse('2026-03-08T00:00:00Z'), { timeZone: 'America/New_York' }),
      ).toISOString(),
    ).toBe('2026-03-08T12:00:00.000Z');
    expect(() => nextRunAt('daily', wed, { timeZone: 'Mars/Olympus' })).toThrow(
      /Unknown time zone "Mars\/Olympus"/,
    );
  });

  it('delivers each audience its report when the clock reaches the run time', async () => {
    const clock = manualClock(Date.parse('2026-01-11T09:00:00Z'));
    const delivered: ScheduledDelivery[] = [];
    const schedule = scheduleReports({
      analytics,
      clock,
      audiences: {
        daily: [{ name: 'Care', segments: ['EU'] }],
        weekly: [audienceFor(directory.get('eva'), segments), audienceFor(directory.get('dieter'), segments)],
      },
      deliver: async (d) => {
        delivered.push(d);
      },
    });
    expect(schedule.next()).toEqual([
      { cadence: 'daily', at: '2026-01-12T08:00:00.000Z' },
      { cadence: 'weekly', at: '2026-01-12T08:00:00.000Z' },
    ]);
    await clock.advance(23 * 3_600_000);
    for (let i = 0; i < 20 && delivered.length < 3; i++) await new Promise((r) => setImmediate(r));
    expect(delivered.map((d) => [d.cadence, d.audience.name, d.report.range.from])).toEqual([
      ['daily', 'Care', '2026-01-11T00:00:00.000Z'],
      ['weekly', 'Eva', '2026-01-05T00:00:00.000Z'],
      ['weekly', 'Dieter', '2026-01-05T00:00:00.000Z'],
    ]);
    expect(delivered[1]?.report.summary?.nps?.responses).toBe(5);
    expect(schedule.next()).toContainEqual({ cadence: 'daily', at: '2026-01-13T08:00:00.000Z' });
    schedule.stop();
  });
});

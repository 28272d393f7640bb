// Seed 004's cadence on the embedded runtime: daily, weekly (Monday), monthly (1st) and quarterly
// (1st of Jan/Apr/Jul/Oct) reports at a local hour, in a time zone, on the runtime's clock.

import { ClosedLoopError } from '../errors.ts';
import type { Clock } from '../runtime/clock.ts';
import { type PeriodicJob, scheduleJobs } from '../runtime/jobs.ts';
import { memoryDocuments } from '../stores/documents.ts';
import type { DocumentStore } from '../stores/store.ts';
import type { Analytics } from './analytics.ts';
import { type Audience, buildReport, CADENCES, type Cadence, type Report } from './report.ts';

export interface RunTimeOptions {
  /** IANA time zone (default `UTC`). */
  timeZone?: string;
  /** Local hour and minute (default 08:00). */
  hour?: number;
  minute?: number;
}

function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return local - Math.floor(ms / 1000) * 1000;
}

/** The instant of a local wall-clock time in `timeZone` (a time skipped by DST moves forward). */
export function zonedTime(
  y: number,
  month: number,
  d: number,
  h: number,
  mi: number,
  timeZone: string,
): number {
  const guess = Date.UTC(y, month - 1, d, h, mi);
  let at = guess - zoneOffset(guess, timeZone);
  at = guess - zoneOffset(at, timeZone);
  return at;
}

function localDate(ms: number, timeZone: string): { y: number; m: number; d: number } {
  const shifted = new Date(ms + zoneOffset(ms, timeZone));
  return { y: shifted.getUTCFullYear(), m: shifted.getUTCMonth() + 1, d: shifted.getUTCDate() };
}

/**
 * The first run of `cadence` strictly after `after` (epoch ms): daily at the hour, weekly on
 * Mondays, monthly on the 1st, quarterly on the 1st of January, April, July and October.
 *
 * @example
 * nextRunAt('weekly', Date.parse('2026-01-07T12:00:00Z'), { timeZone: 'Europe/Madrid' })
 * // → 2026-01-12T07:00:00Z (Monday 08:00 in Madrid)
 */
export function nextRunAt(cadence: Cadence, after: number, options: RunTimeOptions = {}): number {
  const timeZone = options.timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch (cause) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Unknown time zone "${timeZone}": use an IANA name such as Europe/Madrid`,
      { cause },
    );
  }
  const hour = options.hour ?? 8;
  const minute = options.minute ?? 0;
  const start = localDate(after, timeZone);
  for (let i = 0; i < 400; i++) {
    const date = new Date(Date.UTC(start.y, start.m - 1, start.d + i));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const matches =
      cadence === 'daily' ||
      (cadence === 'weekly' && date.getUTCDay() === 1) ||
      (cadence === 'monthly' && d === 1) ||
      (cadence === 'quarterly' && d === 1 && (m - 1) % 3 === 0);
    if (!matches) continue;
    const at = zonedTime(y, m, d, hour, minute, timeZone);
    if (at > after) return at;
  }
  throw new ClosedLoopError('INVALID_INPUT', `No run time found for cadence "${cadence}"`);
}

export interface ScheduledDelivery {
  cadence: Cadence;
  audience: Audience;
  report: Report;
}

export interface ScheduleReportsOptions extends RunTimeOptions {
  analytics: Analytics;
  /** The runtime's clock (`manualClock()` in tests). */
  clock: Clock;
  /** Who gets which cadence; a cadence without audiences is not scheduled. */
  audiences: Partial<Record<Cadence, readonly Audience[]>>;
  /** Sends one report (e.g. `reportToEmail` through an SMTP connector). */
  deliver(delivery: ScheduledDelivery): Promise<void>;
  /** A failed build or delivery; the schedule carries on. Default: ignored. */
  onError?(error: unknown, delivery: { cadence: Cadence; audience: Audience }): void;
  /**
   * Where the schedule records the periods done (the store's `documents`): with it, each period
   * runs once across every process on the store, and a run missed while every process was down is
   * made when one starts. Without it, the schedule lives in this process only.
   */
  documents?: DocumentStore;
  /** This process's id in a run's lease (the replica id). */
  owner?: string;
  /** How often (real ms) to look for a period due that another process left. Default 30 s. */
  pollMs?: number;
  /** How long a run may take before another process may take it over (wall ms). Default 10 min. */
  leaseMs?: number;
}

export interface ReportSchedule {
  /** The next run of each scheduled cadence. */
  next(): { cadence: Cadence; at: string }[];
  /** Looks for a period due now (runs it when no other process has). */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * Runs the report cadence on the embedded runtime: at each run time it builds one report per
 * audience (scoped to its segments and sections) and hands it to `deliver`. With `documents`, one
 * process sends each period's reports and a missed period is caught up (see {@link scheduleJobs}).
 *
 * @example
 * scheduleReports({ analytics, clock: systemClock, timeZone: 'Europe/Madrid', documents: store.documents,
 *   audiences: { daily: [careTeam], weekly: [keyMembers], monthly: [everyone], quarterly: [everyone] },
 *   deliver: async ({ audience, report }) => mailer.send(audience.email, renderReportHtml(report)) });
 */
export function scheduleReports(options: ScheduleReportsOptions): ReportSchedule {
  const jobs: PeriodicJob[] = CADENCES.filter((c) => options.audiences[c]?.length).map((cadence) => ({
    id: `report.${cadence}`,
    nextRunAt: (after) => nextRunAt(cadence, after, options),
    async run(at) {
      for (const audience of options.audiences[cadence] ?? []) {
        try {
          const report = await buildReport(options.analytics, { cadence, at, audience });
          await options.deliver({ cadence, audience, report });
        } catch (e) {
          options.onError?.(e, { cadence, audience });
        }
      }
    },
  }));
  const scheduler = scheduleJobs({
    documents: options.documents ?? memoryDocuments(() => {}),
    clock: options.clock,
    owner: options.owner ?? 'local',
    jobs,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
  return {
    next: () =>
      scheduler.next().map(({ id, at }) => ({ cadence: id.slice('report.'.length) as Cadence, at })),
    tick: () => scheduler.tick(),
    stop: () => scheduler.stop(),
  };
}

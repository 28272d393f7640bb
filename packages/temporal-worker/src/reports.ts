// Inner-loop reports on Temporal (R23, R24): one Temporal Schedule per cadence and audience starts
// `closedLoopReport`, whose activity builds the report from the mirror (core's analytics in SQL)
// and delivers it. Missed runs follow the schedule's catch-up window; `backfill` replays any range.
import { ClosedLoopError, DeliveryError } from '@closedloop/core';
import {
  type Analytics,
  type Audience,
  audienceKey,
  buildReport,
  CADENCES,
  type Cadence,
  type Range,
  type RunTimeOptions,
  type ScheduledDelivery,
} from '@closedloop/core/learn';
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { REPORT_WORKFLOW_TYPE, type ReportWorkflowInput } from './workflows/definitions.ts';

export interface SendReportInput {
  cadence: Cadence;
  audience: Audience;
  /** ISO time the report is made for: it covers the last complete period before it. */
  at: string;
}

/** What a report run did (the workflow's result, visible in the Temporal UI). */
export interface SentReport {
  cadence: Cadence;
  /** {@link audienceKey} of the audience (no names or emails in the result). */
  audience: string;
  range: Range;
  /** What `deliver` returned, e.g. the Message-ID of the mail. */
  delivery?: string;
}

export interface ReportActivities {
  sendReport(input: SendReportInput): Promise<SentReport>;
}

export interface ReportDeps {
  /** Analytics over the mirror (`createAnalytics(postgresExecutor(pool, schema), { segments })`). */
  analytics: Analytics;
  /**
   * Sends one report, e.g. `({ report, audience }) => reportMailer(…).send({ report, audience })`;
   * a string it resolves to (a Message-ID) is kept in the run's result.
   */
  deliver(delivery: ScheduledDelivery): Promise<unknown>;
}

/** Failure types of the report activity. */
export const ReportFailure = {
  INVALID_REPORT: 'INVALID_REPORT',
  DELIVERY_FAILED: 'DELIVERY_FAILED',
} as const;

/**
 * The report activity, with its dependencies injected.
 *
 * @example
 * const reports = createReportActivities({ analytics, deliver: ({ report, audience }) => mailer.send({ report, audience }) });
 * await Worker.create({ activities: { ...loopActivities, ...reports }, … });
 */
export function createReportActivities(deps: ReportDeps): ReportActivities {
  return {
    async sendReport({ cadence, audience, at }) {
      let report: Awaited<ReturnType<typeof buildReport>>;
      try {
        report = await buildReport(deps.analytics, { cadence, at, audience });
      } catch (e) {
        // A bad audience (unknown segment) or time will not get better with retries.
        if (e instanceof ClosedLoopError && e.code === 'INVALID_INPUT') {
          throw ApplicationFailure.create({
            type: ReportFailure.INVALID_REPORT,
            message: `${cadence} report for ${audienceKey(audience)}: ${e.message}`,
            nonRetryable: true,
          });
        }
        throw e;
      }
      let delivery: unknown;
      try {
        delivery = await deps.deliver({ cadence, audience, report });
      } catch (e) {
        const message = `${cadence} report for ${audienceKey(audience)} not delivered: ${e instanceof Error ? e.message : String(e)}`;
        throw ApplicationFailure.create({
          type: ReportFailure.DELIVERY_FAILED,
          message,
          nonRetryable: e instanceof DeliveryError && !e.retryable,
        });
      }
      return {
        cadence,
        audience: audienceKey(audience),
        range: report.range,
        ...(typeof delivery === 'string' ? { delivery } : {}),
      };
    },
  };
}

/** Schedule ids start with this (then `-<cadence>-<audience key>`). */
export const REPORT_SCHEDULE_PREFIX = 'closedloop-report';

/** How late a missed run is still taken when the server or workers come back: one period. */
export const DEFAULT_CATCHUP_WINDOW: Record<Cadence, Duration> = {
  daily: '1 day',
  weekly: '7 days',
  monthly: '28 days',
  quarterly: '90 days',
};

/**
 * The Schedule spec of a cadence: the same run times as core's `nextRunAt` (daily at the hour,
 * weekly on Mondays, monthly on the 1st, quarterly on the 1st of Jan/Apr/Jul/Oct), in the zone.
 */
export function reportScheduleSpec(cadence: Cadence, options: RunTimeOptions = {}): ScheduleSpec {
  const at = { hour: options.hour ?? 8, minute: options.minute ?? 0 };
  const calendar =
    cadence === 'daily'
      ? at
      : cadence === 'weekly'
        ? { ...at, dayOfWeek: 'MONDAY' as const }
        : cadence === 'monthly'
          ? { ...at, dayOfMonth: 1 }
          : { ...at, dayOfMonth: 1, month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'] as const };
  return {
    calendars: [{ ...calendar, comment: `closedloop ${cadence} report` }],
    timezone: options.timeZone ?? 'UTC',
  } as ScheduleSpec;
}

export function reportScheduleId(cadence: Cadence, audience: Audience, prefix = REPORT_SCHEDULE_PREFIX) {
  return `${prefix}-${cadence}-${audienceKey(audience)}`;
}

export interface ReportSchedulesOptions extends RunTimeOptions {
  /** The task queue of the workers that host `closedLoopReport` (the closedloop workers). */
  taskQueue: string;
  /** Who gets which cadence; one Schedule per cadence and audience. */
  audiences: Partial<Record<Cadence, readonly Audience[]>>;
  /** Schedule id prefix (default `closedloop-report`); schedules under it that are no longer configured are deleted. */
  prefix?: string;
  /** Per cadence; default {@link DEFAULT_CATCHUP_WINDOW}. */
  catchupWindow?: Partial<Record<Cadence, Duration>>;
}

export interface AppliedSchedules {
  created: string[];
  updated: string[];
  deleted: string[];
}

/**
 * Makes the Temporal Schedules match the configuration: creates missing ones, updates existing
 * ones (spec, action, policies), deletes those under the prefix that are no longer configured.
 * Idempotent: safe to run on every worker start and from several workers at once.
 *
 * @example
 * await applyReportSchedules(client, { taskQueue: 'closedloop', timeZone: 'Europe/Madrid',
 *   audiences: { daily: [careTeam], weekly: [eva, dieter], monthly: [everyone], quarterly: [everyone] } });
 */
export async function applyReportSchedules(
  client: Client,
  options: ReportSchedulesOptions,
): Promise<AppliedSchedules> {
  const prefix = options.prefix ?? REPORT_SCHEDULE_PREFIX;
  const desired = new Map<string, { cadence: Cadence; audience: Audience }>();
  for (const cadence of Object.keys(options.audiences) as Cadence[]) {
    if (!CADENCES.includes(cadence)) {
      throw new ClosedLoopError(
        'INVALID_INPUT',
        `Unknown cadence "${cadence}" in the report audiences: use ${CADENCES.join(', ')}`,
      );
    }
    for (const audience of options.audiences[cadence] ?? []) {
      const id = reportScheduleId(cadence, audience, prefix);
      if (desired.has(id)) {
        throw new ClosedLoopError(
          'INVALID_INPUT',
          `Two ${cadence} audiences share the key "${audienceKey(audience)}": give one of them an id`,
        );
      }
      desired.set(id, { cadence, audience });
    }
  }
  const result: AppliedSchedules = { created: [], updated: [], deleted: [] };
  for (const [scheduleId, { cadence, audience }] of desired) {
    const args: [ReportWorkflowInput] = [{ cadence, audience }];
    const action: ScheduleOptionsStartWorkflowAction<(input: ReportWorkflowInput) => Promise<unknown>> = {
      type: 'startWorkflow',
      workflowType: REPORT_WORKFLOW_TYPE,
      taskQueue: options.taskQueue,
      workflowId: scheduleId,
      args,
    };
    const spec = reportScheduleSpec(cadence, options);
    const policies = {
      // A slow run delays the next one instead of dropping it.
      overlap: 'BUFFER_ALL' as const,
      catchupWindow: options.catchupWindow?.[cadence] ?? DEFAULT_CATCHUP_WINDOW[cadence],
    };
    try {
      await client.schedule.create({ scheduleId, spec, action, policies, memo: { closedloop: cadence } });
      result.created.push(scheduleId);
    } catch (e) {
      if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      await client.schedule
        .getHandle(scheduleId)
        .update((previous) => ({ ...previous, spec, action, policies }));
      result.updated.push(scheduleId);
    }
  }
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(`${prefix}-`) && !desired.has(s.scheduleId)) {
      await client.schedule.getHandle(s.scheduleId).delete();
      result.deleted.push(s.scheduleId);
    }
  }
  return result;
}

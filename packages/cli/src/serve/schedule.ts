// `closedloop serve` runs the report schedule of its config (`reports`): core's schedule over the
// store's own tables, mailed through `connectors.email`. Periods are recorded in the store's
// documents, so with several replicas one of them sends each period's reports, and a period
// missed while every replica was down is sent when one starts.

import type { ServeConfig } from '@closedloop/config';
import { reportMailer } from '@closedloop/connectors';
import { type Clock, Directory, type EmbeddedClosedLoop, SegmentTree } from '@closedloop/core';
import {
  createAnalytics,
  type ReportSchedule,
  resolveAudiences,
  scheduleReports,
} from '@closedloop/core/learn';
import type { Logger } from './log.ts';

export interface RunningSchedule {
  /** Resolves once the schedule is armed (the store is ready). */
  ready: Promise<ReportSchedule | undefined>;
  close(): Promise<void>;
}

/** Starts the config's report schedule, if it has one. */
export function startReportSchedule(
  config: ServeConfig,
  loop: EmbeddedClosedLoop,
  options: { logger: Logger; clock: Clock; env: NodeJS.ProcessEnv; pollMs?: number },
): RunningSchedule | undefined {
  const reports = config.reports;
  const email = config.connectors.email;
  if (!reports || !email) return undefined;
  const sql = loop.store.sql;
  if (!sql)
    throw new Error('reports: the report schedule reads the store in SQL: use a SQLite file or PostgreSQL');
  const log = options.logger;
  const directory = new Directory(config.directory);
  const analytics = createAnalytics(sql, { segments: new SegmentTree(config.segments, directory) });
  const from =
    typeof email.from === 'string' ? email.from : `${email.from.name ?? ''} <${email.from.address}>`.trim();
  const mailer = reportMailer({ transport: email.transport, from, env: options.env });
  let schedule: ReportSchedule | undefined;
  let closed = false;
  const ready = (async () => {
    await loop.store.init();
    await analytics.prepare();
    if (closed) return undefined;
    schedule = scheduleReports({
      analytics,
      clock: options.clock,
      timeZone: reports.timeZone,
      hour: reports.hour,
      minute: reports.minute,
      audiences: resolveAudiences(reports.audiences, config.directory, config.segments),
      documents: loop.store.documents,
      owner: loop.replica().id,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      async deliver({ report, audience }) {
        await mailer.send({ report, audience });
        log('info', 'report sent', { cadence: report.cadence, range: report.range.from });
      },
      // No names or addresses in the log: the cadence and the error's kind.
      onError: (error, { cadence }) =>
        log('warn', 'report not sent', { cadence, error: error instanceof Error ? error.name : 'error' }),
    });
    return schedule;
  })();
  ready.catch((e: unknown) =>
    log('error', 'report schedule not started', { error: e instanceof Error ? e.message : String(e) }),
  );
  return {
    ready,
    async close() {
      closed = true;
      schedule?.stop();
      await mailer.close();
    },
  };
}

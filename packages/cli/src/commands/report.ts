// `closedloop report`: the inner-loop report of a store, in the terminal, as HTML, JSON, CSV or an email.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import {
  buildReport,
  type Cadence,
  createAnalytics,
  PERIODS,
  type Period,
  renderReportHtml,
  renderReportText,
  reportToCsv,
  reportToEmail,
  reportToJson,
  type Segment,
  SegmentTree,
  sqliteExecutor,
} from '@closedloop/core';
import type { Command } from 'commander';
import pc from 'picocolors';

/** Where command output goes; tests pass their own. */
export interface ReportIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: ReportIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export interface ReportCliOptions {
  db?: string;
  period?: string;
  segment?: string[];
  segments?: string;
  at?: string;
  format?: string;
  out?: string;
  to?: string[];
  from?: string;
}

const FORMATS = ['text', 'html', 'json', 'csv', 'email'] as const;
const CADENCE: Record<Period, Cadence> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
};

class UsageError extends Error {}

/** The segment tree from a file, or (without one) every segment the store has seen, as roots. */
function segmentTree(file: string | undefined, db: DatabaseSync): SegmentTree {
  if (file) {
    if (!existsSync(file)) throw new UsageError(`No segments file at "${file}"`);
    return new SegmentTree(JSON.parse(readFileSync(file, 'utf8')) as Segment[]);
  }
  const ids = (
    db
      .prepare(
        'SELECT segment FROM feedback WHERE segment IS NOT NULL UNION SELECT segment FROM cases WHERE segment IS NOT NULL',
      )
      .all() as { segment: string }[]
  ).map((r) => r.segment);
  return new SegmentTree(ids.map((id) => ({ id, name: id, managers: ['-'] })));
}

/**
 * Runs `closedloop report`; returns false (exit code 1) on bad arguments or a failed report.
 *
 * @example
 * await reportCommand({ db: 'data/closedloop.sqlite', period: 'week', segment: ['EU'] });
 */
export async function reportCommand(opts: ReportCliOptions, io: ReportIo = processIo): Promise<boolean> {
  try {
    const period = (opts.period ?? 'week') as Period;
    if (!PERIODS.includes(period)) {
      throw new UsageError(`--period "${opts.period}" is not one of ${PERIODS.join(', ')}`);
    }
    const format = (opts.format ?? 'text') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format))
      throw new UsageError(`--format "${opts.format}" is not one of ${FORMATS.join(', ')}`);
    if (format === 'email' && !opts.to?.length)
      throw new UsageError('--format email needs at least one --to <address>');
    if (!opts.db) throw new UsageError('--db <file> is required: the SQLite file of the embedded runtime');
    if (!existsSync(opts.db)) throw new UsageError(`No SQLite store at "${opts.db}"`);
    const db = new DatabaseSync(opts.db);
    try {
      const segments = segmentTree(opts.segments, db);
      const analytics = createAnalytics(sqliteExecutor(db), { segments });
      const report = await buildReport(analytics, {
        cadence: CADENCE[period],
        ...(opts.at !== undefined ? { at: opts.at } : {}),
        ...(opts.segment?.length ? { segment: opts.segment } : {}),
      });
      const output =
        format === 'html'
          ? renderReportHtml(report)
          : format === 'json'
            ? reportToJson(report)
            : format === 'csv'
              ? reportToCsv(report)
              : format === 'email'
                ? reportToEmail(report, { from: opts.from ?? 'closedloop@localhost', to: opts.to ?? [] })
                : renderReportText(report);
      if (opts.out) {
        writeFileSync(opts.out, output);
        io.err(`${pc.green('✔')} ${report.title} written to ${opts.out}\n`);
      } else {
        io.out(output);
      }
    } finally {
      db.close();
    }
    return true;
  } catch (e) {
    io.err(`${pc.red('error:')} ${(e as Error).message}\n`);
    return false;
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Adds `report` to the `closedloop` program.
 *
 * @example
 * registerReportCommand(new Command('closedloop'));
 */
export function registerReportCommand(program: Command, io: ReportIo = processIo): void {
  program
    .command('report')
    .description(
      'NPS/CSAT trends, recovery, SLA, backlog, root causes and topics of a store, for the last complete period',
    )
    .option('--db <file>', 'the SQLite file of the embedded runtime')
    .option('--period <period>', `day (daily digest), week, month or quarter (themes)`, 'week')
    .option('--segment <id>', 'only this segment and its sub-segments (repeatable)', collect)
    .option('--segments <file>', 'JSON array of segments (id, name, parent, managers) for roll-ups')
    .option('--at <iso>', 'report as of this time (default now): covers the last complete period before it')
    .option('--format <format>', `${FORMATS.join(', ')}`, 'text')
    .option('--out <file>', 'write to a file instead of the terminal')
    .option('--to <address>', 'recipient for --format email (repeatable)', collect)
    .option('--from <address>', 'sender for --format email')
    .action(async (opts: ReportCliOptions) => {
      if (!(await reportCommand(opts, io))) process.exitCode = 1;
    });
}

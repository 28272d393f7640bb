// `closedloop report`: the inner-loop report of a store, in the terminal, as HTML, JSON, CSV or an email.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { CONFIG_HELP, ConfigError, loadConfig, secretValue } from '@closedloop/config';
import { type Segment, SegmentTree } from '@closedloop/core';
import {
  buildReport,
  type Cadence,
  createAnalytics,
  PERIODS,
  type Period,
  postgresExecutor,
  renderReportHtml,
  renderReportText,
  reportToCsv,
  reportToEmail,
  reportToJson,
  type SqlExecutor,
  sqliteExecutor,
} from '@closedloop/core/learn';
import type { Command } from 'commander';
import pg from 'pg';
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
  /** The closedloop config: the report runs on the store it names (SQLite or PostgreSQL), with its segments. */
  config?: string;
  db?: string;
  period?: string;
  segment?: string[];
  segments?: string;
  at?: string;
  /** Any range (a wave): from this date or time… */
  from?: string;
  /** …to this one (a date alone includes that whole day). */
  to?: string;
  format?: string;
  out?: string;
  mailTo?: string[];
  mailFrom?: string;
}

const FORMATS = ['text', 'html', 'json', 'csv', 'email'] as const;
const CADENCE: Record<Period, Cadence> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  quarter: 'quarterly',
};

export class UsageError extends Error {}

/** The segment tree from a file, or (without one) every segment the store has seen, as roots. */
async function segmentTree(file: string | undefined, executor: SqlExecutor): Promise<SegmentTree> {
  if (file) {
    if (!existsSync(file)) throw new UsageError(`No segments file at "${file}"`);
    return new SegmentTree(JSON.parse(readFileSync(file, 'utf8')) as Segment[]);
  }
  const rows = await executor.all(
    `SELECT segment FROM ${executor.table('feedback')} WHERE segment IS NOT NULL UNION SELECT segment FROM ${executor.table('cases')} WHERE segment IS NOT NULL`,
  );
  return new SegmentTree(
    rows.map((r) => ({ id: String(r.segment), name: String(r.segment), managers: ['-'] })),
  );
}

export interface Source {
  executor: SqlExecutor;
  segments?: Segment[];
  close(): Promise<void>;
}

/** The store to report on: the config's (SQLite or PostgreSQL) or a SQLite file given with --db. */
export function openSource(opts: ReportCliOptions, env: NodeJS.ProcessEnv): Source {
  if (opts.config && opts.db) throw new UsageError('give --config or --db, not both');
  if (!opts.db) {
    const config = loadConfig(opts.config);
    if (typeof config.store !== 'string') {
      const { url, schema } = config.store.postgres;
      const connectionString = secretValue(url, 'store.postgres.url', env, config.file);
      const pool = new pg.Pool({ connectionString, max: 4 });
      return {
        executor: postgresExecutor(pool, schema ?? 'closedloop'),
        segments: config.segments,
        close: () => pool.end(),
      };
    }
    if (config.store === ':memory:')
      throw new UsageError(`${config.file}: the store is ":memory:", which keeps nothing to report on`);
    return sqliteSource(config.store, config.segments);
  }
  return sqliteSource(opts.db);
}

function sqliteSource(path: string, segments?: Segment[]): Source {
  if (!existsSync(path)) throw new UsageError(`No SQLite store at "${path}"`);
  const db = new DatabaseSync(path);
  return { executor: sqliteExecutor(db), ...(segments ? { segments } : {}), close: async () => db.close() };
}

/** `--to 2026-03-31` includes that day; a time is taken as it is. */
function rangeOf(opts: ReportCliOptions): { from: string; to: string } | undefined {
  if (opts.from === undefined && opts.to === undefined) return undefined;
  if (opts.from === undefined || opts.to === undefined)
    throw new UsageError('--from and --to go together: give both, e.g. --from 2026-01-01 --to 2026-03-31');
  if (opts.at !== undefined)
    throw new UsageError('--at is for the last complete period; with --from/--to leave it out');
  const parse = (flag: string, text: string, endOfDay: boolean) => {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
    const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(ms) || (dateOnly && new Date(ms).toISOString().slice(0, 10) !== text))
      throw new UsageError(`${flag} "${text}" is not a date: use 2026-01-15 or 2026-01-15T08:00:00Z`);
    return new Date(dateOnly && endOfDay ? ms + 86_400_000 : ms).toISOString();
  };
  return { from: parse('--from', opts.from, false), to: parse('--to', opts.to, true) };
}

/**
 * Runs `closedloop report`; returns false (exit code 1) on bad arguments or a failed report.
 *
 * @example
 * await reportCommand({ config: 'closedloop.config.json', from: '2026-01-01', to: '2026-03-31' });
 */
export async function reportCommand(
  opts: ReportCliOptions,
  io: ReportIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  try {
    const period = (opts.period ?? 'week') as Period;
    if (!PERIODS.includes(period)) {
      throw new UsageError(`--period "${opts.period}" is not one of ${PERIODS.join(', ')}`);
    }
    const format = (opts.format ?? 'text') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format))
      throw new UsageError(`--format "${opts.format}" is not one of ${FORMATS.join(', ')}`);
    if (format === 'email' && !opts.mailTo?.length)
      throw new UsageError('--format email needs at least one --mail-to <address>');
    const range = rangeOf(opts);
    const source = openSource(opts, env);
    try {
      const segments =
        source.segments && !opts.segments
          ? new SegmentTree(source.segments)
          : await segmentTree(opts.segments, source.executor);
      const analytics = createAnalytics(source.executor, { segments });
      const report = await buildReport(analytics, {
        cadence: CADENCE[period],
        ...(range ? { range } : opts.at !== undefined ? { at: opts.at } : {}),
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
                ? reportToEmail(report, {
                    from: opts.mailFrom ?? 'closedloop@localhost',
                    to: opts.mailTo ?? [],
                  })
                : renderReportText(report);
      if (opts.out) {
        writeFileSync(opts.out, output);
        io.err(`${pc.green('✔')} ${report.title} written to ${opts.out}\n`);
      } else {
        io.out(output);
      }
    } finally {
      await source.close();
    }
    return true;
  } catch (e) {
    printCommandError(io, e);
    return false;
  }
}

/**
 * Writes a command's failure to `io.err`: a config error with its file and each issue, anything
 * else as its message.
 *
 * @example
 * try { ... } catch (e) { printCommandError(io, e); return false; }
 */
export function printCommandError(io: ReportIo, e: unknown): void {
  if (e instanceof ConfigError)
    io.err(`${pc.red('error:')} ${e.file}\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
  else io.err(`${pc.red('error:')} ${(e as Error).message}\n`);
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
      'NPS/CSAT trends, recovery, SLA, backlog, root causes and topics of a store, for the last complete period or any range',
    )
    .option(
      '-c, --config <file>',
      `${CONFIG_HELP}: the report reads its store (SQLite or PostgreSQL) and segments`,
    )
    .option('--db <file>', 'a SQLite file of the embedded runtime (instead of --config)')
    .option('--period <period>', `day (daily digest), week, month or quarter (themes)`, 'week')
    .option('--from <date>', 'any range (a wave): from this date or ISO time, with --to')
    .option('--to <date>', 'any range: to this date (the whole day included) or ISO time')
    .option('--segment <id>', 'only this segment and its sub-segments (repeatable)', collect)
    .option(
      '--segments <file>',
      'JSON array of segments (id, name, parent, managers) for roll-ups (with --db)',
    )
    .option('--at <iso>', 'report as of this time (default now): covers the last complete period before it')
    .option('--format <format>', `${FORMATS.join(', ')}`, 'text')
    .option('--out <file>', 'write to a file instead of the terminal')
    .option('--mail-to <address>', 'recipient for --format email (repeatable)', collect)
    .option('--mail-from <address>', 'sender for --format email')
    .action(async (opts: ReportCliOptions) => {
      if (!(await reportCommand(opts, io))) process.exitCode = 1;
    });
}

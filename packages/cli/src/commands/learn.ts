// `closedloop learn rebuild`: recomputes the daily rollups the reports read, from the stored rows.
import { rebuildRollups } from '@closedloop/core/learn';
import type { Command } from 'commander';
import pc from 'picocolors';
import { progressBar } from '../progress.ts';
import { openSource, printCommandError, type ReportIo, UsageError } from './report.ts';

interface RebuildCliOptions {
  config?: string;
  db?: string;
  /** First day rebuilt (`YYYY-MM-DD`); default the first day with a row. */
  from?: string;
  /** Last day rebuilt, included (`YYYY-MM-DD`); default the last day with a row. */
  to?: string;
}

const processIo: ReportIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function day(flag: string, text: string | undefined, after = false): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(text) ||
    Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== text
  )
    throw new UsageError(`${flag} "${text}" is not a date: use a UTC day such as 2026-01-15`);
  return new Date(after ? ms + 86_400_000 : ms).toISOString().slice(0, 10);
}

/**
 * Runs `closedloop learn rebuild`; returns false (exit code 1) on bad arguments or a failure.
 * Safe while the store serves: one short transaction per day (see `rebuildRollups`).
 */
async function learnRebuildCommand(
  opts: RebuildCliOptions,
  io: ReportIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
  isTTY = process.stderr.isTTY === true,
): Promise<boolean> {
  try {
    const from = day('--from', opts.from);
    const to = day('--to', opts.to, true);
    if (from && to && to <= from) throw new UsageError(`--to ${opts.to} is before --from ${opts.from}`);
    const source = openSource(opts, env);
    try {
      const { executor } = source;
      // Writers of a live store wait for each day's transaction; so does this for theirs.
      if (executor.dialect === 'sqlite') await executor.exec('PRAGMA busy_timeout = 10000');
      try {
        await executor.all(`SELECT 1 FROM ${executor.table('learn_feedback_daily')} WHERE 1 = 0`);
      } catch {
        throw new UsageError(
          'this store has no rollup tables yet: start closedloop on it once with this version (it migrates the store, rollups included), then rebuild if needed',
        );
      }
      const started = performance.now();
      const bar = progressBar(io.err, isTTY);
      const { days } = await rebuildRollups(executor, {
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        onProgress: (p) => bar(p.days, p.of),
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      io.err(`${pc.green('✔')} rollups rebuilt: ${days} day${days === 1 ? '' : 's'} in ${seconds} s\n`);
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
 * Adds `learn rebuild` to the `closedloop` program.
 *
 * @example
 * registerLearnCommands(new Command('closedloop'));
 */
export function registerLearnCommands(program: Command, io: ReportIo = processIo): void {
  const learn = program.command('learn').description('the inner loop: what the reports read');
  learn
    .command('rebuild')
    .description(
      'recompute the daily rollups the reports read from the stored feedback and cases (idempotent; safe while the store serves)',
    )
    .option('-c, --config <file>', 'closedloop config: the store it names (SQLite or PostgreSQL)')
    .option('--db <file>', 'a SQLite file of the embedded runtime (instead of --config)')
    .option('--from <date>', 'first UTC day to rebuild (default: the first day with data)')
    .option('--to <date>', 'last UTC day to rebuild, included (default: the last day with data)')
    .action(async (opts: RebuildCliOptions) => {
      if (!(await learnRebuildCommand(opts, io))) process.exitCode = 1;
    });
}

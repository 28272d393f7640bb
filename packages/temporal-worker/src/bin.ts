#!/usr/bin/env node
// closedloop-worker [--config closedloop.config.json]: runs the closedloop Temporal worker.
// closedloop-worker mirror-backfill [--config …] [--since <ISO time>]: copies the loops that ran
// before the mirror was configured into it. The config is the one closedloop config (docs/config.md).
import { ConfigError } from '@closedloop/config';
import { parseCustomerRef } from '@closedloop/core';
import { runMirrorBackfill, runPrivacyErase, runWorker } from './run-worker.ts';
import { loadWorkerConfig } from './worker-config.ts';

const USAGE = `Usage:
  closedloop-worker [-c, --config <file>]                  run the worker
  closedloop-worker mirror-backfill [-c <file>] [--since <ISO time>]
                                                           copy earlier loops into the mirror
  closedloop-worker privacy-erase [-c <file>] (--email <address> | --customer-id <id>) [--actor <who>]
                                                           erase a customer: loops terminated, keys destroyed, mirror erased
The config: --config, else CLOSEDLOOP_WORKER_CONFIG, else closedloop.config.json or closedloop.config.ts
in this folder (docs/config.md). Secrets come from the environment variables it names ({ "env": "NAME" }).
`;

/** Bad arguments: printed as plain text with the usage, not as a log line. */
class UsageError extends Error {}

const args = process.argv.slice(2);
const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ level, msg, ...extra })}\n`);

function option(name: string, short?: string): string | undefined {
  let i = args.indexOf(name);
  if (i < 0 && short) i = args.indexOf(short);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return value;
}

// No top-level await: the bin is also built as CommonJS.
async function main(): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const command = args[0] && !args[0].startsWith('-') ? args[0] : 'run';
  if (command !== 'run' && command !== 'mirror-backfill' && command !== 'privacy-erase') {
    throw new UsageError(
      `unknown command "${command}": use mirror-backfill or privacy-erase, or none to run the worker`,
    );
  }
  const config = loadWorkerConfig(option('--config', '-c') ?? process.env.CLOSEDLOOP_WORKER_CONFIG);
  if (command === 'privacy-erase') {
    const email = option('--email');
    const customerId = option('--customer-id');
    if ((email === undefined) === (customerId === undefined))
      throw new UsageError('privacy-erase: name the person with --email <address> or --customer-id <id>');
    const person = parseCustomerRef(email !== undefined ? { email } : { customerId });
    const result = await runPrivacyErase(config, person, {
      actor: option('--actor') ?? `cli:${process.env.USER ?? 'unknown'}`,
    });
    log('INFO', result.erased ? 'customer erased' : 'nothing held about this customer', {
      terminated: result.terminated,
      ...result.counts,
      ...(result.receipt ? { receipt: result.receipt.id } : {}),
    });
    return;
  }
  if (command === 'mirror-backfill') {
    const sinceText = option('--since');
    const since = sinceText === undefined ? undefined : new Date(sinceText);
    if (since && Number.isNaN(since.getTime()))
      throw new UsageError(`--since "${sinceText}" is not a time: use ISO 8601, e.g. 2026-01-01T00:00:00Z`);
    const result = await runMirrorBackfill(config, {
      ...(since ? { since } : {}),
      onProgress: (p) => {
        if (p.seen % 100 === 0) log('INFO', 'mirror backfill', { ...p });
      },
    });
    log('INFO', 'mirror backfill done', { ...result });
    if (result.failed > 0) process.exitCode = 1;
    return;
  }
  const running = await runWorker(config);
  log('INFO', 'closedloop worker running', {
    httpPort: running.httpPort,
    ...(running.schedules ? { reportSchedules: running.schedules } : {}),
  });
  await running.done;
  log('INFO', 'closedloop worker stopped');
}
main().catch((e: unknown) => {
  if (e instanceof UsageError) process.stderr.write(`closedloop-worker: ${e.message}\n\n${USAGE}`);
  else if (e instanceof ConfigError)
    process.stderr.write(
      `closedloop-worker: invalid config ${e.file}\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
    );
  else log('ERROR', e instanceof Error ? e.message : String(e));
  process.exit(1);
});

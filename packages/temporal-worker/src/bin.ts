#!/usr/bin/env node
// closedloop-worker [--config closedloop.worker.json]: runs the closedloop Temporal worker.
// closedloop-worker mirror-backfill [--config …] [--since <ISO time>]: copies the loops that ran
// before the mirror was configured into it.
import { parseCustomerRef } from '@closedloop/core';
import { loadWorkerConfig, runMirrorBackfill, runPrivacyErase, runWorker } from './run-worker.ts';

const USAGE = `Usage:
  closedloop-worker [--config <file.json>]                 run the worker
  closedloop-worker mirror-backfill [--config <file.json>] [--since <ISO time>]
                                                           copy earlier loops into the mirror
  closedloop-worker privacy-erase [--config <file.json>] (--email <address> | --customer-id <id>) [--actor <who>]
                                                           erase a customer: loops terminated, keys destroyed, mirror erased
Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY, TEMPORAL_TLS_CA/_CERT/_KEY, CLOSEDLOOP_RULES, CLOSEDLOOP_HTTP_PORT, CLOSEDLOOP_ENCRYPTION_KEYS, CLOSEDLOOP_LOG_LEVEL, CLOSEDLOOP_WORKER_CONFIG, and the mirror's urlEnv (default CLOSEDLOOP_MIRROR_URL)
`;

/** Bad arguments: printed as plain text with the usage, not as a log line. */
class UsageError extends Error {}

const args = process.argv.slice(2);
const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ level, msg, ...extra })}\n`);

function option(name: string): string | undefined {
  const i = args.indexOf(name);
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
  const command = args[0] && !args[0].startsWith('--') ? args[0] : 'run';
  if (command !== 'run' && command !== 'mirror-backfill' && command !== 'privacy-erase') {
    throw new UsageError(
      `unknown command "${command}": use mirror-backfill or privacy-erase, or none to run the worker`,
    );
  }
  const config = loadWorkerConfig(option('--config') ?? process.env.CLOSEDLOOP_WORKER_CONFIG);
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
  else log('ERROR', e instanceof Error ? e.message : String(e));
  process.exit(1);
});

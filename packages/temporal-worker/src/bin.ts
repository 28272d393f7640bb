#!/usr/bin/env node
// closedloop-worker [--config closedloop.worker.json]: runs the closedloop Temporal worker.
import { loadWorkerConfig, runWorker } from './run-worker.ts';

const args = process.argv.slice(2);
const i = args.indexOf('--config');
const path = i >= 0 ? args[i + 1] : process.env.CLOSEDLOOP_WORKER_CONFIG;
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: closedloop-worker [--config <file.json>]\nEnv: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY, TEMPORAL_TLS_CA/_CERT/_KEY, CLOSEDLOOP_RULES, CLOSEDLOOP_HTTP_PORT, CLOSEDLOOP_ENCRYPTION_KEYS, CLOSEDLOOP_LOG_LEVEL\n',
  );
  process.exit(0);
}
// No top-level await: the bin is also built as CommonJS.
async function main(): Promise<void> {
  const running = await runWorker(loadWorkerConfig(path));
  process.stderr.write(
    `${JSON.stringify({ level: 'INFO', msg: 'closedloop worker running', httpPort: running.httpPort })}\n`,
  );
  await running.done;
  process.stderr.write(`${JSON.stringify({ level: 'INFO', msg: 'closedloop worker stopped' })}\n`);
}
main().catch((e: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'ERROR', msg: e instanceof Error ? e.message : String(e) })}\n`,
  );
  process.exit(1);
});

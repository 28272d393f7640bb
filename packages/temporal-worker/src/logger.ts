// Structured JSON-lines logs for the worker, without customer data.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * An error as a log line can show it: its name and message (an Error serialises as `{}`), with
 * email addresses masked, since messages may quote a customer's address.
 */
export function loggedError(e: unknown): { name: string; message: string } | string {
  const mask = (s: string) =>
    s.replace(/[^\s@"'<>()]+@[^\s@"'<>()]+\.[A-Za-z]{2,}/g, '<email>').slice(0, 1000);
  if (e instanceof Error) return { name: e.name, message: mask(e.message) };
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string')
    return { name: 'Error', message: mask(e.message) };
  return mask(String(e));
}

/** Log fields that never carry customer data; every other field is dropped. */
const SAFE = new Set([
  'namespace',
  'taskQueue',
  'workflowId',
  'runId',
  'workflowType',
  'activityType',
  'activityId',
  'attempt',
  'key',
  'type',
  'loopId',
  'event',
  'sdkComponent',
  'error',
]);

/**
 * A JSON-lines logger for the Temporal runtime that drops payload-bearing fields.
 *
 * @example
 * Runtime.install({ logger: structuredLogger('INFO') });
 */
export function structuredLogger(level: LogLevel, write = (line: string) => process.stderr.write(line)) {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const meta = Object.fromEntries(
      Object.entries(entry.meta ?? {})
        .filter(([k]) => SAFE.has(k))
        .map(([k, v]) => [k, k === 'error' ? loggedError(v) : v]),
    );
    write(
      `${JSON.stringify({ ts: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, msg: entry.message, ...meta })}\n`,
    );
  });
}

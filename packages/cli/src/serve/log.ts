/**
 * Where the server writes what happened. Fields carry ids, codes, statuses and timings only:
 * never a request body, a customer email or a comment.
 */
export type Logger = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** One JSON line per entry on stderr. */
export const jsonLogger: Logger = (level, message, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
};

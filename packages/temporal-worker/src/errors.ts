// The temporal-worker package's one error class: a `code` from WORKER_ERROR_CODES, a message that
// names the field or value and the fix, and the `cause` when there is one.

export const WORKER_ERROR_CODES = {
  /** The config file or the options given are unusable. */
  CONFIG: 'CONFIG',
  /** An environment variable the config names is not set. */
  MISSING_ENV: 'MISSING_ENV',
  /** An encryption key is not 32 bytes, or the current key is not among the keys. */
  BAD_KEY: 'BAD_KEY',
  /** A payload names a key the worker does not have. */
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  /** The operation needs the mirror (PostgreSQL) and the config has none. */
  NO_MIRROR: 'NO_MIRROR',
  /** A codec request that is not `{ "payloads": [...] }`. */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;
export type WorkerErrorCode = keyof typeof WORKER_ERROR_CODES;

/**
 * An error of the worker, the codec or the worker CLI.
 *
 * @example
 * throw new WorkerError('NO_MIRROR', 'mirror: add "store": { "postgres": { … } }');
 */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  readonly code: WorkerErrorCode;
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Every error closedloop throws on purpose carries one of these codes. */
export const ErrorCode = {
  INVALID_FEEDBACK: 'INVALID_FEEDBACK',
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_DECISION: 'INVALID_DECISION',
  CASE_NOT_FOUND: 'CASE_NOT_FOUND',
  LOOP_NOT_FOUND: 'LOOP_NOT_FOUND',
  MOVE_REFUSED: 'MOVE_REFUSED',
  CONFLICT: 'CONFLICT',
  CLOSED: 'CLOSED',
  STORE: 'STORE',
  /** The deployment is set up wrong (a missing encryption key, unregistered search attributes). */
  CONFIGURATION: 'CONFIGURATION',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A problem with one field of some input, named by its path (`customer.email`, `answers[2].answer`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * The one error class of `@closedloop/core`. `code` says what went wrong, `issues` lists the
 * offending fields for input errors, and `details` carries the context a caller needs to act
 * (the case, its current state, the moves that are allowed).
 */
export class ClosedLoopError extends Error {
  override readonly name = 'ClosedLoopError';
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: FieldIssue[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }
}

/** Formats a path such as `['answers', 2, 'answer']` as `answers[2].answer`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

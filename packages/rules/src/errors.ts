/** Every error `@closedloop/rules` throws on purpose carries one of these codes. */
export const RulesErrorCode = {
  /** A rule file or rule set failed validation; `issues` lists what and where. */
  INVALID_RULES: 'INVALID_RULES',
  /** A rule names a fact the facts passed to `evaluate()` do not have (json-rules-engine's UNDEFINED_FACT). */
  UNDEFINED_FACT: 'UNDEFINED_FACT',
  /** A rule names an operator nobody registered. */
  UNKNOWN_OPERATOR: 'UNKNOWN_OPERATOR',
  /** An operator threw while comparing (e.g. `in` with a number as its value). */
  OPERATOR_FAILED: 'OPERATOR_FAILED',
  /** A rule file or directory could not be read. */
  READ_FAILED: 'READ_FAILED',
  /** Feedback or fixture input that cannot be used. */
  INVALID_INPUT: 'INVALID_INPUT',
} as const;
export type RulesErrorCode = (typeof RulesErrorCode)[keyof typeof RulesErrorCode];

/** One problem in a rule file, located by JSON pointer and by line/column (1-based). */
export interface RuleIssue {
  /** The file the issue is in, when known. */
  file?: string;
  /** JSON pointer to the offending value, e.g. `/rules/3/conditions/all/0/fact`. */
  pointer: string;
  line: number;
  column: number;
  message: string;
  /** What to do about it. */
  hint: string;
}

/** The one error class of `@closedloop/rules`. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  readonly code: RulesErrorCode;
  readonly issues: readonly RuleIssue[];

  constructor(
    code: RulesErrorCode,
    message: string,
    options: { issues?: RuleIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

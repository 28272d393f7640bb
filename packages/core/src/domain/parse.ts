import type { z } from 'zod';
import { ClosedLoopError, type ErrorCode, type FieldIssue, formatPath } from '../errors.ts';
import { suggestKeys } from './suggest.ts';

/** Turns zod issues into field issues named by path. */
function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

// One params object for every parse (it is on the capture path, twice per capture).
const PARSE_PARAMS = { error: (iss: unknown) => suggestKeys(iss as never) };

/**
 * Parses `value` with `schema`, or throws a {@link ClosedLoopError} whose message lists every
 * bad field by path; a misspelt key of a strict object names the key it most likely means.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ErrorCode,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value, PARSE_PARAMS);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error);
  const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new ClosedLoopError(code, `Invalid ${what}: ${issues.length} problem(s)\n${list}`, { issues });
}

// A decider's answer, checked the same way on every runtime before the loop takes it.
import { type Decision, DecisionSchema } from '../domain/decision.ts';
import { parseOrThrow } from '../domain/parse.ts';
import type { Directory, SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';

/**
 * The decision, or an `INVALID_DECISION` error naming what is wrong: the shape, a segment that
 * is not configured, an owner who is not in the directory.
 */
export function checkedDecision(
  raw: unknown,
  decider: string,
  org: { segments: SegmentTree; directory: Directory },
): Decision {
  const decision = parseOrThrow(DecisionSchema, raw, 'INVALID_DECISION', `decision from decider ${decider}`);
  const c = decision.case;
  if (c && !org.segments.has(c.segment)) {
    throw new ClosedLoopError(
      'INVALID_DECISION',
      `Decider ${decider} routed to segment "${c.segment}", which is not configured; known: ${org.segments
        .all()
        .map((s) => s.id)
        .join(', ')}`,
      { issues: [{ path: 'case.segment', message: 'unknown segment' }] },
    );
  }
  if (c?.owner !== undefined && !org.directory.has(c.owner)) {
    throw new ClosedLoopError(
      'INVALID_DECISION',
      `Decider ${decider} assigned owner "${c.owner}", who is not in the directory`,
      { issues: [{ path: 'case.owner', message: 'unknown person' }] },
    );
  }
  return decision;
}

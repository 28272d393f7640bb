import type { CaseStatus } from '../domain/case.ts';
import type { LoopContext, LoopEnv, LoopEvent, LoopState } from './types.ts';

/** Why an event is refused, and what would be accepted instead. */
export interface Refusal {
  reason: string;
  /** Moves, statuses or events that are allowed instead. */
  allowed: string[];
}

/** Case status transitions (seed 001 statuses; a case never goes back to new). */
export const STATUS_MOVES: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  new: ['open', 'escalated', 'resolved'],
  open: ['escalated', 'resolved'],
  escalated: ['open', 'resolved'],
  resolved: ['open'],
};

/** Events each state accepts. */
export const STATE_EVENTS: Readonly<Record<LoopState, readonly LoopEvent['type'][]>> = {
  captured: ['DECIDED', 'CONTACT_SUPPRESSED'],
  'acting.new': [
    'UPDATE',
    'REASSIGN',
    'COMMENT',
    'RESOLVE',
    'TIMER_FIRED',
    'FEEDBACK_UPDATED',
    'CONTACT_SUPPRESSED',
  ],
  'acting.open': [
    'UPDATE',
    'REASSIGN',
    'COMMENT',
    'RESOLVE',
    'TIMER_FIRED',
    'FEEDBACK_UPDATED',
    'CONTACT_SUPPRESSED',
  ],
  escalated: [
    'UPDATE',
    'REASSIGN',
    'COMMENT',
    'RESOLVE',
    'TIMER_FIRED',
    'FEEDBACK_UPDATED',
    'CONTACT_SUPPRESSED',
  ],
  resolved: [
    'UPDATE',
    'REASSIGN',
    'COMMENT',
    'INFORM_CUSTOMER',
    'TIMER_FIRED',
    'FEEDBACK_UPDATED',
    'CONTACT_SUPPRESSED',
  ],
  informing: ['COMMENT', 'CUSTOMER_INFORMED', 'TIMER_FIRED', 'FEEDBACK_UPDATED', 'CONTACT_SUPPRESSED'],
  awaitingResurvey: ['COMMENT', 'RESURVEY_ANSWERED', 'TIMER_FIRED', 'FEEDBACK_UPDATED', 'CONTACT_SUPPRESSED'],
  // A loop that ended without a case still takes a later part of its answer (it may open one).
  // (and drops a timer that outlived its loop).
  learned: ['FEEDBACK_UPDATED', 'TIMER_FIRED', 'CONTACT_SUPPRESSED'],
};

/** Each event in words, as a refusal names it ("… refused the update: …"). */
export const EVENT_WORDS: Readonly<Record<LoopEvent['type'], string>> = {
  DECIDED: 'the routing decision',
  UPDATE: 'the update',
  REASSIGN: 'the reassignment',
  COMMENT: 'the comment',
  RESOLVE: 'resolving the case',
  INFORM_CUSTOMER: 'informing the customer',
  CUSTOMER_INFORMED: 'the delivery receipt of the customer mail',
  TIMER_FIRED: 'a timer',
  FEEDBACK_UPDATED: 'the updated answer',
  RESURVEY_ANSWERED: 'the re-survey answer',
  CONTACT_SUPPRESSED: 'the suppressed customer message',
};

/** What people can do to a case, by event, in words (internal events are left out). */
const ACTION_WORDS: Partial<Record<LoopEvent['type'], string>> = {
  UPDATE: 'update status, priority or segment',
  REASSIGN: 'reassign',
  COMMENT: 'comment',
  RESOLVE: 'resolve',
  INFORM_CUSTOMER: 'inform the customer',
};

/** Each loop state in words. */
export const STATE_WORDS: Readonly<Record<LoopState, string>> = {
  captured: 'being routed',
  'acting.new': 'new',
  'acting.open': 'open',
  escalated: 'escalated',
  resolved: 'resolved',
  informing: 'being informed (the mail to the customer is on its way)',
  awaitingResurvey: "waiting for the customer's re-survey answer",
  learned: 'closed',
};

/** The actions people can take in a state, in words. */
export function actionsInWords(state: LoopState): string[] {
  return STATE_EVENTS[state].flatMap((e) => (ACTION_WORDS[e] ? [ACTION_WORDS[e]] : []));
}

/**
 * Decides whether `event` may happen to a loop in `state`, and if not, why. The machine's guards
 * use it, so a refusal here is exactly an event the machine would ignore; runtimes use it to
 * answer with a reason instead of silence.
 */
export function refusalOf(
  env: LoopEnv,
  state: LoopState,
  ctx: LoopContext,
  event: LoopEvent,
): Refusal | undefined {
  const late = event.type === 'FEEDBACK_UPDATED' && !ctx.case;
  if (state === 'learned' && !late && event.type !== 'TIMER_FIRED') {
    return { reason: 'the case is closed (the loop has learned); nothing more can change', allowed: [] };
  }
  const accepted = STATE_EVENTS[state];
  if (!accepted.includes(event.type)) {
    return {
      reason: `${EVENT_WORDS[event.type]} is not possible while the case is ${STATE_WORDS[state]}`,
      allowed: actionsInWords(state),
    };
  }
  return checkEvent(env, ctx, event);
}

/** The event-specific half of {@link refusalOf}: the machine's guards call it. */
export function checkEvent(env: LoopEnv, ctx: LoopContext, event: LoopEvent): Refusal | undefined {
  const c = ctx.case;
  switch (event.type) {
    case 'UPDATE': {
      if (!c) return { reason: 'the loop has no case', allowed: [] };
      const { status, priority, segment, rootCause } = event.changes;
      const changesSomething =
        (status !== undefined && status !== c.status) ||
        (priority !== undefined && priority !== c.priority) ||
        (segment !== undefined && segment !== c.segment) ||
        (rootCause !== undefined && rootCause !== c.rootCause);
      if (!changesSomething) {
        return {
          reason: 'the update changes nothing (give a status, priority, segment or root cause that differs)',
          allowed: [],
        };
      }
      const nextStatus = status ?? c.status;
      if (status !== undefined && status !== c.status && !STATUS_MOVES[c.status].includes(status)) {
        return {
          reason: `status cannot go from ${c.status} to ${status}`,
          allowed: [...STATUS_MOVES[c.status]],
        };
      }
      if (
        nextStatus === 'resolved' &&
        status !== undefined &&
        status !== c.status &&
        !(rootCause ?? c.rootCause)
      ) {
        return { reason: 'a case is resolved with a root cause: add changes.rootCause', allowed: [] };
      }
      if (segment !== undefined && segment !== c.segment) {
        if (!env.segments.has(segment)) {
          return {
            reason: `segment "${segment}" does not exist`,
            allowed: env.segments
              .allowedMoves(c.segment, nextStatus === 'escalated')
              .filter((s) => s !== c.segment),
          };
        }
        const escalated = nextStatus === 'escalated';
        const allowed = env.segments.allowedMoves(c.segment, escalated).filter((s) => s !== c.segment);
        if (!allowed.includes(segment)) {
          return {
            reason: escalated
              ? `an escalated case moves only to the direct parent of "${c.segment}" or above, and "${segment}" is not among them`
              : `${nextStatus === 'open' ? 'an' : 'a'} ${nextStatus} case moves only to a sibling of "${c.segment}" or a segment below it, and "${segment}" is neither`,
            allowed,
          };
        }
      }
      return undefined;
    }
    case 'REASSIGN': {
      if (!c) return { reason: 'the loop has no case', allowed: [] };
      if (!env.directory.has(event.owner)) {
        return {
          reason: `"${event.owner}" is not in the directory`,
          allowed: env.segments.managers(c.segment),
        };
      }
      if (event.owner === c.owner) return { reason: `"${event.owner}" already owns the case`, allowed: [] };
      return undefined;
    }
    case 'RESOLVE':
      // Callers in plain JavaScript may send anything: a non-string is refused, never thrown on.
      if (typeof event.rootCause !== 'string' || !event.rootCause.trim())
        return { reason: 'a case is resolved with a root cause: give rootCause as text', allowed: [] };
      return undefined;
    case 'COMMENT':
      if (!c) return { reason: 'the loop has no case', allowed: [] };
      if (typeof event.body !== 'string') return { reason: 'the comment body must be text', allowed: [] };
      if (!event.body.trim()) return { reason: 'the comment is empty', allowed: [] };
      return undefined;
    case 'INFORM_CUSTOMER':
      if (ctx.feedback.customer.anonymous || !ctx.feedback.customer.email)
        return {
          reason:
            'the customer left no email address (known by id only, e.g. an SMS respondent): tell them another way and note it in a comment',
          allowed: [],
        };
      return undefined;
    case 'FEEDBACK_UPDATED':
    case 'TIMER_FIRED':
    case 'DECIDED':
    case 'CUSTOMER_INFORMED':
    case 'RESURVEY_ANSWERED':
    case 'CONTACT_SUPPRESSED':
      return undefined;
  }
}

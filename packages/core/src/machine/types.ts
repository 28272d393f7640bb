import type { Actor, Case, CaseStatus, Priority } from '../domain/case.ts';
import type { Classification } from '../domain/classification.ts';
import type { Decision } from '../domain/decision.ts';
import type { Effect } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { Directory, SegmentTree } from '../domain/org.ts';

export type TimerName = 'firstResponse' | 'resolution' | 'resurvey' | 'resurveyExpiry';

/** Where a loop is. `acting.new` and `acting.open` match case statuses new and open. */
export type LoopState =
  | 'captured'
  | 'acting.new'
  | 'acting.open'
  | 'escalated'
  | 'resolved'
  | 'informing'
  | 'awaitingResurvey'
  | 'learned';

export interface LoopInput {
  loopId: string;
  /** The id the case gets if one is opened. */
  caseId: string;
  feedback: Feedback;
}

export interface LoopContext {
  loopId: string;
  caseId: string;
  feedback: Feedback;
  decision?: Decision;
  classification?: Classification;
  case?: Case;
  /** Due times (ISO) the runtime turns into durable timers. */
  timers: Partial<Record<TimerName, string>>;
  /** Count of accepted events; effects are keyed by it. */
  version: number;
  /** Effects emitted by the latest accepted event. */
  pending: Effect[];
  /** Why the loop ended where it did. */
  /** Re-survey answers received, kept when a still-unhappy answer reopens the case (R20). */
  resurveys?: { nps?: number; csat?: number; feedbackId: string; at: string }[];
  outcome?: {
    reason: 'anonymous' | 'noCase' | 'noContact' | 'closed' | 'resurveyExpired' | 'erased';
    resurvey?: { nps?: number; csat?: number; feedbackId: string; at: string };
  };
}

export interface CaseChanges {
  status?: CaseStatus;
  priority?: Priority;
  segment?: string;
  rootCause?: string;
}

export type LoopEvent =
  | { type: 'DECIDED'; decision: Decision; at: string }
  | { type: 'UPDATE'; actor: Actor; at: string; changes: CaseChanges; note?: string }
  | { type: 'REASSIGN'; actor: Actor; at: string; owner: string; note?: string }
  | { type: 'COMMENT'; actor: Actor; at: string; commentId: string; body: string }
  | { type: 'RESOLVE'; actor: Actor; at: string; rootCause: string; note?: string }
  | {
      type: 'INFORM_CUSTOMER';
      actor: Actor;
      at: string;
      message?: string;
      gesture?: { description: string; code?: string };
      /** The email template (default `caseResolved`) and language (default the feedback's). */
      template?: string;
      language?: string;
    }
  | { type: 'CUSTOMER_INFORMED'; at: string }
  /** A message to the customer was not sent (do-not-contact, no consent): logged on the case. */
  | { type: 'CONTACT_SUPPRESSED'; at: string; effect: 'informCustomer' | 'sendResurvey'; reason: string }
  | { type: 'TIMER_FIRED'; timer: TimerName; at: string }
  | { type: 'RESURVEY_ANSWERED'; at: string; feedbackId: string; nps?: number; csat?: number }
  /** The survey tool sent more of the same response (e.g. the comment after the score). */
  | { type: 'FEEDBACK_UPDATED'; at: string; feedback: Feedback; decision: Decision };

export type LoopEventType = LoopEvent['type'];
export type LoopEventOf<T extends LoopEventType> = Extract<LoopEvent, { type: T }>;

/** What the machine needs to know about the organisation (not stored in snapshots). */
export interface LoopEnv {
  segments: SegmentTree;
  directory: Directory;
}

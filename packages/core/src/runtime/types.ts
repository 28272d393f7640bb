import type { Actor, Case, CaseStatus, Priority } from '../domain/case.ts';
import type { Classification } from '../domain/classification.ts';
import type { Effect } from '../domain/effect.ts';
import type { FeedbackInput } from '../domain/feedback.ts';
import type { LoopState } from '../machine/types.ts';
import type { CasePage, CaseQuery } from '../stores/store.ts';

export interface CaptureOptions {
  /**
   * What to do when the response was captured before: `ignore` it (default: a redelivery), or
   * `update` the stored answer with this one (a survey tool sending the rest of the same answer,
   * e.g. the comment after the score) and classify it again. An update never opens a second case.
   */
  onDuplicate?: 'ignore' | 'update';
  /**
   * Learn from the answer only: classify and store it for analytics, but open no case and send
   * no alert, thank-you or re-survey (an old wave imported for the trends).
   */
  learnOnly?: boolean;
}

export interface CaptureResult {
  loopId: string;
  feedbackId: string;
  /** True when this response was captured before. */
  duplicate: boolean;
  /** True when a duplicate updated the stored answer (`onDuplicate: 'update'` and it differed). */
  updated: boolean;
  state: LoopState;
  classification?: Classification;
  case?: Case;
}

export interface ActorOptions {
  /** Who makes the change (a person id); recorded in the case log. */
  actor: Actor;
  note?: string;
}

export interface CaseUpdate {
  status?: CaseStatus;
  priority?: Priority;
  segment?: string;
  rootCause?: string;
}

export type ExportFormat = 'csv' | 'json';

/** Events a runtime emits; handlers run after the step committed. */
export interface ClosedLoopEvents {
  'feedback.captured': { loopId: string; feedbackId: string; state: LoopState };
  'case.created': { case: Case };
  'case.updated': { case: Case; event: string; actor: Actor };
  'sla.breached': { case: Case; kind: 'firstResponse' | 'resolution' };
  'loop.learned': { loopId: string; caseId?: string };
  'effect.delivered': { effect: Effect; connector: string; attempts: number };
  'effect.failed': {
    effect: Effect;
    connector: string;
    attempts: number;
    error: string;
    willRetry: boolean;
    /** Why, in words safe for logs, when the connector said (`DeliveryError.reason`). */
    reason?: string;
  };
}
export type ClosedLoopEventName = keyof ClosedLoopEvents;

/** Case operations: the same on every runtime. */
export interface CaseApi {
  /** The case, or a `CASE_NOT_FOUND` error naming the id. */
  get(caseId: string): Promise<Case>;
  /** All cases by default; filter by status, priority, segment, owner; search by email or id. */
  list(query?: CaseQuery): Promise<CasePage & { countsByStatus: Record<CaseStatus, number> }>;
  update(caseId: string, changes: CaseUpdate, options: ActorOptions): Promise<Case>;
  reassign(caseId: string, owner: string, options: ActorOptions): Promise<Case>;
  comment(caseId: string, body: string, options: ActorOptions): Promise<Case>;
  resolve(caseId: string, resolution: { rootCause: string }, options: ActorOptions): Promise<Case>;
  /** Tells the customer what was done (R18); the loop moves on once the message is delivered. */
  inform(
    caseId: string,
    message: {
      message?: string;
      gesture?: { description: string; code?: string };
      /** The email template (default `caseResolved`) and language (default the customer's). */
      template?: string;
      language?: string;
    },
    options: ActorOptions,
  ): Promise<Case>;
  export(format: ExportFormat, query?: CaseQuery): Promise<string>;
}

/** A running closed loop: what `createClosedLoop` (embedded) and the Temporal client both return. */
export interface ClosedLoop {
  capture(input: FeedbackInput, options?: CaptureOptions): Promise<CaptureResult>;
  /** Records the answer to a re-survey (R20) for the loop it was sent from. */
  recordResurvey(loopId: string, answer: { feedbackId: string; nps?: number; csat?: number }): Promise<void>;
  readonly cases: CaseApi;
  on<E extends ClosedLoopEventName>(event: E, handler: (payload: ClosedLoopEvents[E]) => void): () => void;
  close(): Promise<void>;
}

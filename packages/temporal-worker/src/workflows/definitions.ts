// Names shared by the workflow, the worker and the client: messages (updates, signals, queries),
// search attributes and the workflow's input. No Node built-ins: the workflow bundle imports it.
import type { Audience, Cadence } from '@closedloop/core/learn';
import type { Effect, Feedback, LoopEvent, LoopSnapshot, Person, Segment } from '@closedloop/core/machine';
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The workflow type every loop runs as. */
export const LOOP_WORKFLOW_TYPE = 'closedLoop';

/** The organisation the machine routes with (people and segments), from the decide activity. */
export interface Org {
  people: Person[];
  segments: Segment[];
}

export interface LoopWorkflowInput {
  loopId: string;
  caseId: string;
  feedback: Feedback;
  /** Keep the closedloop search attributes current (they must be registered on the namespace). */
  searchAttributes?: boolean;
  /** Continue as new once the history has this many events (default 2,000). */
  maxHistoryEvents?: number;
  /** How soon a delivery on a dead worker is retried elsewhere (default 30s). */
  deliveryHeartbeatTimeout?: string;
  /** Set when the loop continues as new: where it was. */
  resume?: {
    snapshot: LoopSnapshot;
    org: Org;
    captures: number;
    outbox: Effect[];
    /** Whether the loop is mirrored, and the last version written to the mirror. */
    mirror?: { version: number };
  };
}

/** A change to a case or loop as a client sends it: the workflow stamps it with workflow time. */
export type LoopCommand = DistributiveOmit<
  Extract<
    LoopEvent,
    { type: 'UPDATE' | 'REASSIGN' | 'COMMENT' | 'RESOLVE' | 'INFORM_CUSTOMER' | 'RESURVEY_ANSWERED' }
  >,
  'at'
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface CaptureReply {
  snapshot: LoopSnapshot;
  /** True when this capture reached a loop that was captured before. */
  duplicate: boolean;
  /** True when a duplicate updated the stored answer (`onDuplicate: 'update'` and it differed). */
  updated: boolean;
}

export interface CaptureArgs {
  /** `onDuplicate: 'update'`: the answer as received now, to replace the stored one if it differs. */
  update?: Feedback;
}

/** Waits until the loop was decided; the reply to capture (sent with update-with-start). */
export const captureUpdate = defineUpdate<CaptureReply, [CaptureArgs?]>('closedloop.capture');
/** A case change, validated before it is accepted: a refused move is rejected with its reason. */
export const commandUpdate = defineUpdate<LoopSnapshot, [LoopCommand]>('closedloop.command');
/** The same changes as a signal, where no answer is needed (a refused one is dropped and logged). */
export const commandSignal = defineSignal<[LoopCommand]>('closedloop.command');
/** Start mirroring this loop (sent by `backfillMirror` to loops that began before the mirror existed). */
export const mirrorSignal = defineSignal('closedloop.mirror');
/** The loop as it is now (undefined until it was decided). */
export const snapshotQuery = defineQuery<LoopSnapshot | undefined>('closedloop.snapshot');

/** Search attributes kept current on every loop (register them on the namespace first). */
export const SA = {
  status: defineSearchAttributeKey('ClosedLoopStatus', 'KEYWORD'),
  priority: defineSearchAttributeKey('ClosedLoopPriority', 'KEYWORD'),
  segment: defineSearchAttributeKey('ClosedLoopSegment', 'KEYWORD'),
  owner: defineSearchAttributeKey('ClosedLoopOwner', 'KEYWORD'),
  npsCategory: defineSearchAttributeKey('ClosedLoopNpsCategory', 'KEYWORD'),
  state: defineSearchAttributeKey('ClosedLoopState', 'KEYWORD'),
  caseId: defineSearchAttributeKey('ClosedLoopCaseId', 'KEYWORD'),
} as const;

/** `name=Keyword` pairs, e.g. for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_NAMES = Object.values(SA).map((k) => k.name);

/** Errors the workflow reports to clients (ApplicationFailure types). */
export const FailureType = {
  MOVE_REFUSED: 'MOVE_REFUSED',
  INVALID_DECISION: 'INVALID_DECISION',
  NOT_DECIDED: 'NOT_DECIDED',
  /** A loop asked to be mirrored reached a worker without a mirror store. */
  NO_MIRROR: 'NO_MIRROR',
} as const;

/** The workflow type of scheduled reports. */
export const REPORT_WORKFLOW_TYPE = 'closedLoopReport';

export interface ReportWorkflowInput {
  cadence: Cadence;
  audience: Audience;
  /** The time the report is made for; default the schedule's scheduled time, else the start time. */
  at?: string;
}

// @closedloop/core/machine: the domain and the pure loop machine, with no Node.js built-ins and
// no I/O, so it can run inside a Temporal workflow sandbox.

export { addBusinessTime } from '../domain/calendar.ts';
export type { Case } from '../domain/case.ts';
export { csatCategory, npsCategory } from '../domain/classification.ts';
export type { Decision, DecisionInput } from '../domain/decision.ts';
export { DEFAULT_ESCALATION, DecisionSchema } from '../domain/decision.ts';
export type { Effect } from '../domain/effect.ts';
export type { Feedback } from '../domain/feedback.ts';
export type { Person, Segment } from '../domain/people.ts';
export { Directory, SegmentTree } from '../domain/people.ts';
export type { FieldIssue } from '../errors.ts';
export { ClosedLoopError, ErrorCode } from '../errors.ts';
export type { LoopSnapshot, StepResult } from './loop.ts';
export { refusedError, startLoop, stepLoop, stepLoopOrThrow } from './loop.ts';
export type { LoopMachine } from './machine.ts';
export { createLoopMachine } from './machine.ts';
export type { Refusal } from './refusal.ts';
export { checkEvent, refusalOf, STATE_EVENTS, STATUS_MOVES } from './refusal.ts';
export type * from './types.ts';

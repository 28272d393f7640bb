// @closedloop/core/machine: the pure loop machine and what it needs, with no Node.js built-ins,
// no I/O and no zod (a Temporal workflow sandbox evaluates this module for every workflow, so it
// must load fast). Validation with zod lives in the full `@closedloop/core` entry.
export { addBusinessTime } from '../domain/business-time.ts';
export type { Case } from '../domain/case.ts';
export { DEFAULT_ESCALATION, PRIORITIES } from '../domain/constants.ts';
export type { Decision, DecisionInput } from '../domain/decision.ts';
export type { Effect } from '../domain/effect.ts';
export type { Feedback } from '../domain/feedback.ts';
export type { Person, Segment } from '../domain/org.ts';
export { Directory, SegmentTree } from '../domain/org.ts';
export { redactAddresses } from '../domain/redact-addresses.ts';
export { csatCategory, npsCategory } from '../domain/scores.ts';
export type { FieldIssue } from '../errors.ts';
export { ClosedLoopError, ErrorCode } from '../errors.ts';
export type { LoopSnapshot, StepResult } from './loop.ts';
export { refusedError, startLoop, stepLoop, stepLoopOrThrow } from './loop.ts';
export type { LoopMachine } from './machine.ts';
export { createLoopMachine } from './machine.ts';
export type { Refusal } from './refusal.ts';
export {
  actionsInWords,
  checkEvent,
  EVENT_WORDS,
  refusalOf,
  STATE_EVENTS,
  STATE_WORDS,
  STATUS_MOVES,
} from './refusal.ts';
export type * from './types.ts';

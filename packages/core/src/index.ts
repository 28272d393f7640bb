// @closedloop/core: the public API at a glance.

export type { Connector, ConnectorConfigSchema, DeliveryContext, HealthStatus } from './connector.ts';
export { DeliveryError } from './connector.ts';
// CSV: the one reader and the one writer of the project.
export * from './csv/index.ts';
export type { BusinessCalendar, Weekday } from './domain/calendar.ts';
export { addBusinessTime, BusinessCalendarSchema, WEEKDAYS } from './domain/calendar.ts';
export type {
  Actor,
  AuditEntry,
  Case,
  CaseSla,
  CaseStatus,
  Comment,
  Priority,
  SlaKind,
} from './domain/case.ts';
export {
  ActorSchema,
  AuditEntrySchema,
  CASE_STATUSES,
  CaseSchema,
  CaseStatusSchema,
  CommentSchema,
  PRIORITIES,
  PrioritySchema,
  SlaKindSchema,
} from './domain/case.ts';
export type { Classification, CsatCategory, Flag, NpsCategory } from './domain/classification.ts';
export {
  ClassificationSchema,
  CsatCategorySchema,
  csatCategory,
  FlagSchema,
  NpsCategorySchema,
  npsCategory,
} from './domain/classification.ts';
export type {
  Alert,
  Decider,
  Decision,
  DecisionContext,
  DecisionInput,
  EscalationStep,
  RecipientRef,
  SlaPolicy,
} from './domain/decision.ts';
export {
  AlertSchema,
  DEFAULT_ESCALATION,
  DecisionSchema,
  EscalationStepSchema,
  RecipientRefSchema,
  SlaPolicySchema,
} from './domain/decision.ts';
export type { DefaultDeciderOptions } from './domain/default-decider.ts';
export { defaultDecider } from './domain/default-decider.ts';
export type { CaseSummary, Change, Effect, EffectOf, EffectType, Recipient } from './domain/effect.ts';
export {
  CaseSummarySchema,
  ChangeSchema,
  EFFECT_TYPES,
  EffectSchema,
  RecipientSchema,
} from './domain/effect.ts';
export type {
  Answer,
  Customer,
  Feedback,
  FeedbackInput,
  FeedbackWarning,
  Source,
} from './domain/feedback.ts';
export {
  AnswerSchema,
  CustomerSchema,
  FeedbackInputSchema,
  FeedbackSchema,
  FeedbackWarningSchema,
  SourceSchema,
} from './domain/feedback.ts';
export type { Person, Segment } from './domain/people.ts';
export { Directory, PersonSchema, SegmentSchema, SegmentTree } from './domain/people.ts';
export { redactAddresses } from './domain/redact-addresses.ts';
export { closestName, suggestKeys, unknownKeysMessage } from './domain/suggest.ts';
export type { FieldIssue } from './errors.ts';
export { ClosedLoopError, ErrorCode, formatPath } from './errors.ts';
export { escapeHtml } from './html.ts';
export type { Refusal } from './machine/refusal.ts';
export type {
  CaseChanges,
  LoopContext,
  LoopEnv,
  LoopEvent,
  LoopEventOf,
  LoopEventType,
  LoopInput,
  LoopState,
  TimerName,
} from './machine/types.ts';
// Privacy: erasure, access, retention, consent.
export * from './privacy/index.ts';
// The ClosedLoop API over a runtime backend (the Temporal client is one).
export type {
  CaseCommand,
  CaseListing,
  CheckedFeedback,
  LoopApi,
  LoopApiOptions,
  LoopBackend,
  LoopEvents,
} from './runtime/api.ts';
export {
  announce,
  caseNotFound,
  createLoopApi,
  createLoopEvents,
  listInMemory,
  warnOnError,
} from './runtime/api.ts';
export type { Clock, ManualClock } from './runtime/clock.ts';
export { manualClock, scaledClock, systemClock } from './runtime/clock.ts';
export type {
  ClosedLoopOptions,
  EmbeddedClosedLoop,
  PrivacyApi,
  ReplicaOptions,
  ReplicaStatus,
} from './runtime/closed-loop.ts';
export { createClosedLoop } from './runtime/closed-loop.ts';
export { casesToCsv } from './runtime/csv.ts';
export { checkedDecision } from './runtime/decisions.ts';
export type { DeliveryOptions } from './runtime/delivery.ts';
export { deliverWithin } from './runtime/delivery.ts';
export { idsFor } from './runtime/ids.ts';
export type { JobScheduler, JobSchedulerOptions, JobState, PeriodicJob } from './runtime/jobs.ts';
export { scheduleJobs } from './runtime/jobs.ts';
export type {
  ActorOptions,
  CaptureResult,
  CaseApi,
  CaseUpdate,
  ClosedLoop,
  ClosedLoopEventName,
  ClosedLoopEvents,
  ExportFormat,
} from './runtime/types.ts';
export type { DocumentWatch, WatchDocumentOptions } from './runtime/watch-document.ts';
export { watchDocument } from './runtime/watch-document.ts';
export { memoryStore } from './stores/memory.ts';
export { compareCases, matchesQuery, nextDue } from './stores/query.ts';
export type { SqliteStoreOptions } from './stores/sqlite.ts';
export { sqliteStore } from './stores/sqlite.ts';
export type {
  CasePage,
  CaseQuery,
  CaseSortColumn,
  Delivery,
  DeliveryUpdate,
  DocumentRecord,
  DocumentStore,
  Lease,
  LoopRecord,
  LoopScan,
  SlaState,
  StepWrite,
  Store,
  TimerRow,
} from './stores/store.ts';
export { CASE_SORT_COLUMNS, PRIORITY_RANK, SLA_DUE_SOON_MS, SLA_STATES } from './stores/store.ts';

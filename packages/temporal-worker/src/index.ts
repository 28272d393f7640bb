// @closedloop/temporal-worker: the closed loop on Temporal.
export type { ActivityDeps, LoopActivities } from './activities.ts';
export { createActivities } from './activities.ts';
export type { TemporalClosedLoopOptions } from './client.ts';
export { createTemporalClosedLoop, workflowIdOf } from './client.ts';
export type { EncryptionKeys } from './codec.ts';
export { aesGcmCodec, failureConverterPath, privateDataConverter } from './codec.ts';
export type { CustomerKeyCodecOptions, TemporalErasureOptions } from './customer-keys.ts';
export {
  customerKeyCodec,
  DATA_KEYS,
  destroyCustomerKey,
  eraseCustomerOnTemporal,
  subjectOf,
} from './customer-keys.ts';
export type { WorkerErrorCode } from './errors.ts';
export { WORKER_ERROR_CODES, WorkerError } from './errors.ts';
export type { WorkerHttpOptions } from './http.ts';
export { workerHttpApp } from './http.ts';
export { structuredLogger } from './logger.ts';
export type { WorkerMetrics } from './metrics.ts';
export { createWorkerMetrics } from './metrics.ts';
export type { BackfillMirrorOptions, BackfillProgress } from './mirror.ts';
export { backfillMirror, writeMirror } from './mirror.ts';
export type {
  AppliedSchedules,
  ReportActivities,
  ReportDeps,
  ReportSchedulesOptions,
  SendReportInput,
  SentReport,
} from './reports.ts';
export {
  applyReportSchedules,
  createReportActivities,
  DEFAULT_CATCHUP_WINDOW,
  REPORT_SCHEDULE_PREFIX,
  ReportFailure,
  reportScheduleId,
  reportScheduleSpec,
} from './reports.ts';
export type { RunningWorker, RunWorkerExtras } from './run-worker.ts';
export { reportAudiences, runWorker } from './run-worker.ts';
export { checkSearchAttributes, registerCommand } from './search-attributes.ts';
export type { ClosedLoopWorkerOptions } from './worker.ts';
export { bundleLoopWorkflows, bundlerOptions, createClosedLoopWorker, workflowsPath } from './worker.ts';
export type { WorkerConfig, WorkerConfigInput } from './worker-config.ts';
export { loadWorkerConfig, WorkerConfigSchema, workerConfigFrom } from './worker-config.ts';
export type {
  CaptureArgs,
  CaptureReply,
  LoopCommand,
  LoopWorkflowInput,
  Org,
} from './workflows/definitions.ts';
export {
  captureUpdate,
  commandSignal,
  commandUpdate,
  LOOP_WORKFLOW_TYPE,
  mirrorSignal,
  REPORT_WORKFLOW_TYPE,
  type ReportWorkflowInput,
  SA,
  SEARCH_ATTRIBUTE_NAMES,
  snapshotQuery,
} from './workflows/definitions.ts';

// The workflow bundle's entry point (the worker's workflowsPath).
export { closedLoop } from './loop.workflow.ts';
export { closedLoopReport } from './report.workflow.ts';

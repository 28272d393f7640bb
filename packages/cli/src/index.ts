export type { DemoOptions, DemoSummary } from './demo/run.ts';
export { runDemo } from './demo/run.ts';
export { createProgram, main } from './main.ts';

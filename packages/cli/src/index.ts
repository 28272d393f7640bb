export type { ServeConfig, ServeConfigInput } from '@closedloop/config';
export { ConfigError, defineConfig, loadConfig, parseConfig } from '@closedloop/config';
export { exportCases, importWave } from './commands/data.ts';
export type { DemoOptions, DemoSummary } from './demo/run.ts';
export { runDemo } from './demo/run.ts';
export { createProgram, main } from './main.ts';
export type { RunningServer, StartOptions } from './serve/server.ts';
export { startServer } from './serve/server.ts';

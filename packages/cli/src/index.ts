export { exportCases, importWave } from './commands/data.ts';
export type { ServeConfig, ServeConfigInput } from './config/config.ts';
export { ConfigError, defineConfig, loadConfig, parseConfig } from './config/config.ts';
export type { DemoOptions, DemoSummary } from './demo/run.ts';
export { runDemo } from './demo/run.ts';
export { createProgram, main } from './main.ts';
export type { RunningServer, StartOptions } from './serve/server.ts';
export { startServer } from './serve/server.ts';

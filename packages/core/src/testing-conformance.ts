// @closedloop/core/testing/conformance: the behaviour every runtime must share, as a vitest suite.
export type { RuntimeUnderTest } from './runtime/conformance.ts';
export { runtimeConformance } from './runtime/conformance.ts';

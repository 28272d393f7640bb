// @closedloop/core/testing: what runtime and connector authors test against. Uses vitest.
export { people as testPeople, segments as testSegments } from './machine/fixtures.ts';
export type { RuntimeUnderTest } from './runtime/conformance.ts';
export { detractor, runtimeConformance } from './runtime/conformance.ts';
export type { RecordingConnector } from './runtime/test-kit.ts';
export { recordingConnector } from './runtime/test-kit.ts';

// @closedloop/core/testing: test data and doubles for runtime and connector authors. Free of any
// test framework, so a child process (a worker under test) can load it too.
export { people as testPeople, segments as testSegments } from './machine/fixtures.ts';
export type { RecordingConnector } from './runtime/test-kit.ts';
export { detractor, recordingConnector } from './runtime/test-kit.ts';

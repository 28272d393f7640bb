import { createClosedLoop, memoryStore } from '@closedloop/core';
import { people, segments } from '../machine/fixtures.ts';
import { runtimeConformance } from './conformance.ts';
import { recordingConnector } from './test-kit.ts';

runtimeConformance('embedded (memory store)', async () => {
  const connector = recordingConnector();
  const loop = createClosedLoop({
    store: memoryStore(),
    directory: people,
    segments,
    connectors: [connector],
  });
  return {
    loop,
    settle: () => loop.idle(),
    deliveredKeys: () => [...connector.applied.keys()],
    dispose: () => loop.close(),
  };
});

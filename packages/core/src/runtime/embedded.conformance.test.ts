import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClosedLoop, memoryStore, type Store, sqliteStore } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import { inject } from 'vitest';
import { people, segments } from '../machine/fixtures.ts';
import { runtimeConformance } from './conformance.ts';
import { recordingConnector } from './test-kit.ts';

function embedded(store: Store) {
  return async () => {
    const connector = recordingConnector();
    const loop = createClosedLoop({ store, directory: people, segments, connectors: [connector] });
    return {
      loop,
      settle: () => loop.idle(),
      deliveredKeys: () => [...connector.applied.keys()],
      dispose: () => loop.close(),
    };
  };
}

let schema = 0;
const run = `${process.pid}_${Date.now().toString(36)}`;

runtimeConformance('embedded, memory store', () => embedded(memoryStore())());
runtimeConformance('embedded, SQLite store', () =>
  embedded(sqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'closedloop-rt-')), 'loop.sqlite') }))(),
);
runtimeConformance('embedded, PostgreSQL store', () =>
  embedded(postgresStore({ connectionString: inject('pgUrl'), schema: `rt_${run}_${schema++}`, max: 4 }))(),
);

// One closedloop worker in its own process, for the scale-out benchmark (temporal.bench.ts starts
// one or two of these against the same dev server and task queue). It tells the parent over IPC
// when it is ready and each time an effect is delivered, and answers `cpu` with its own CPU time.
import { readFileSync } from 'node:fs';
import { EFFECT_TYPES } from '@closedloop/core';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { testCodec, testOrg } from '../src/fixtures/org.ts';
import { createClosedLoopWorker } from '../src/worker.ts';

const { TEMPORAL_ADDRESS, TASK_QUEUE, BUNDLE_PATH } = process.env;
const send = (m: unknown) => process.send?.(m);
Runtime.install({
  logger: new DefaultLogger('ERROR', () => {}),
  telemetryOptions: { logging: { filter: 'ERROR', forward: {} } },
});
const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS! });
const worker = await createClosedLoopWorker({
  connection,
  taskQueue: TASK_QUEUE!,
  dataConverter: { payloadCodecs: [testCodec()] },
  workflowBundle: { code: readFileSync(BUNDLE_PATH!, 'utf8') },
  ...testOrg,
  connectors: [
    {
      name: 'count',
      capabilities: EFFECT_TYPES,
      async deliver() {
        send({ type: 'delivered' });
      },
    },
  ],
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', ms: (user + system) / 1000 });
  }
  if (m.type === 'stop') worker.shutdown();
});
send({ type: 'ready' });
await worker.run();
await connection.close();
process.disconnect?.();

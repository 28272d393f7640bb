// The closed loop on Temporal, from the client's side: the same calls as the embedded example,
// with `createTemporalClosedLoop` instead of `createClosedLoop` (the one line that changes).
import { aesGcmCodec, createTemporalClosedLoop } from '@closedloop/temporal-worker';
import { Connection } from '@temporalio/client';
import config from './closedloop.config.json' with { type: 'json' };

/** A demo key (base64 of 32 bytes), never for production: the worker reads it from DEMO_ENCRYPTION_KEY. */
export const DEMO_KEY = 'ZGVtby1rZXktZG8tbm90LXVzZS1pbi1wcm9kdWN0aW8=';
const { temporal } = config.worker;

export async function main(address = temporal.address, taskQueue = temporal.taskQueue) {
  const connection = await Connection.connect({ address });
  const loop = createTemporalClosedLoop({
    connection,
    namespace: temporal.namespace,
    taskQueue,
    dataConverter: {
      payloadCodecs: [
        aesGcmCodec({ current: 'demo-1', keys: { 'demo-1': process.env.DEMO_ENCRYPTION_KEY ?? DEMO_KEY } }),
      ],
    },
  });
  const { case: c, loopId } = await loop.capture({
    source: { tool: 'example', responseId: `r-${Date.now()}` },
    customer: { email: 'lucia@example.es', name: 'Lucía', segment: 'spain' },
    nps: 3,
    comment: 'El pedido llegó roto',
    language: 'es',
  });
  await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
  await loop.cases.comment(c!.id, 'Llamé a la cliente', { actor: 'ana' });
  await loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
  const informed = await loop.cases.inform(c!.id, { message: 'Cambiamos el embalaje' }, { actor: 'ana' });
  await loop.close();
  await connection.close();
  return { loopId, caseId: c!.id, status: informed.status };
}

if (import.meta.main) {
  const r = await main();
  process.stdout.write(
    `case ${r.caseId} ${r.status}; workflow closedloop-${r.loopId.slice(5, 17)} — see it at http://127.0.0.1:8233\n`,
  );
}

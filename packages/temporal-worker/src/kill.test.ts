// A worker killed with SIGKILL mid-activity and restarted: the loop completes, and each email was
// applied once by a receiver that dedupes on the idempotency key.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { detractor } from '@closedloop/core/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTemporalClosedLoop, workflowIdOf } from './client.ts';
import { eventually, startDevServer, testCodec } from './test-kit.ts';

const TASK_QUEUE = 'closedloop-kill';
let env: TestWorkflowEnvironment;
let server: Server;
let receiverUrl: string;
const calls: { key: string; type: string }[] = [];
const applied = new Map<string, number>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await startDevServer();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const m = JSON.parse(body) as { key: string; type: string };
      calls.push(m);
      applied.set(m.key, (applied.get(m.key) ?? 0) + (applied.has(m.key) ? 0 : 1));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  server?.close();
  await env?.teardown();
});

function startWorker(hangAfterType?: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@closedloop/source',
      fileURLToPath(new URL('./fixtures/kill-worker.fixture.ts', import.meta.url)),
    ],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        TASK_QUEUE,
        RECEIVER_URL: receiverUrl,
        HANG_AFTER_TYPE: hangAfterType ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err.slice(-2000)}`)));
  });
}

test('a worker killed with SIGKILL mid-delivery is replaced, the loop completes and each email is applied once', {
  timeout: 120_000,
}, async () => {
  const loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue: TASK_QUEUE,
    dataConverter: { payloadCodecs: [testCodec()] },
    deliveryHeartbeatTimeout: '2s',
  });
  const first = await startWorker('notify');
  const { case: c, loopId } = await loop.capture(detractor());
  // The creation notice reached the receiver, and the worker hangs before reporting it: kill it.
  await eventually(() => calls.some((m) => m.type === 'notify'), 30_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await startWorker();
  await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
  await loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
  await loop.cases.inform(c!.id, { message: 'Cambiamos el embalaje' }, { actor: 'ana' });
  const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
  await eventually(async () => (await handle.describe()).status.name === 'COMPLETED', 60_000);
  const redeliveries = calls.length - applied.size;
  expect(redeliveries).toBeGreaterThanOrEqual(1);
  expect([...applied.values()].every((n) => n === 1)).toBe(true);
  expect([...applied.keys()].some((k) => k.endsWith(':inform'))).toBe(true);
  // The notice that was in flight when the worker died was delivered again, and applied once.
  expect(calls.filter((m) => m.key === `${loopId}:v1:notify`).length).toBeGreaterThanOrEqual(2);
  // The report: how many redeliveries the kill caused (1 on an idle machine, the notice in flight;
  // more only when a busy machine let another delivery's heartbeat lapse).
  expect({ deliveries: calls.length, applied: applied.size, redeliveries }).toMatchObject({
    applied: new Set(calls.map((m) => m.key)).size,
  });
});

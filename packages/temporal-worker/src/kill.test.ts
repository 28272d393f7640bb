// A worker killed with SIGKILL mid-activity and restarted, delivering to two connectors of which
// one fails transiently: the loop completes, and a receiver that dedupes on the idempotency key
// applied each effect once per connector.
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
const calls: { key: string; type: string; connector: string }[] = [];
/** Applied deliveries by `key@connector`: the receiver dedupes, so each counts once. */
const applied = new Set<string>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await startDevServer();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const m = JSON.parse(body) as { key: string; type: string; connector: string };
      calls.push(m);
      applied.add(`${m.key}@${m.connector}`);
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

test('a worker killed mid-delivery is replaced: each effect reaches each connector, applied once, and a retry of one connector never re-sends to the other', {
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
  const notice = `${loopId}:v1:notify`;
  // The creation notice reached the receiver through http-a, and the worker hangs before
  // reporting it: kill it.
  await eventually(() => calls.some((m) => m.key === notice && m.connector === 'http-a'), 30_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  await startWorker();
  await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
  await loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
  await loop.cases.inform(c!.id, { message: 'Cambiamos el embalaje' }, { actor: 'ana' });
  const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
  await eventually(async () => (await handle.describe()).status.name === 'COMPLETED', 60_000);
  const keys = [...new Set(calls.map((m) => m.key))];
  expect(keys).toContain(notice);
  expect(keys.some((k) => k.endsWith(':inform'))).toBe(true);
  // Every effect reached both connectors (http-b after its transient failure), applied once each.
  expect([...applied].sort()).toEqual(keys.flatMap((k) => [`${k}@http-a`, `${k}@http-b`]).sort());
  const sent = (key: string, connector: string) =>
    calls.filter((m) => m.key === key && m.connector === connector).length;
  // The notice in flight when the worker died was sent again.
  expect(sent(notice, 'http-a')).toBeGreaterThanOrEqual(2);
  // Effects of the later steps (after the restart; the capture's are v1): http-b failed each first
  // attempt and was retried, and its retries are its own: http-a received each exactly once.
  const later = keys.filter((k) => !k.startsWith(`${loopId}:v1:`));
  expect(later.length).toBeGreaterThanOrEqual(2);
  expect(later.map((k) => sent(k, 'http-b') >= 2)).toEqual(later.map(() => true));
  expect(later.map((k) => sent(k, 'http-a'))).toEqual(later.map(() => 1));
});

// The worker's HTTP endpoints without a Temporal server: body limit, codec errors, metrics text.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aesGcmCodec } from './codec.ts';
import { startWorkerHttp, type WorkerHttp } from './http.ts';
import { createWorkerMetrics } from './metrics.ts';
import { TEST_KEY } from './test-kit.ts';

const metrics = createWorkerMetrics();
metrics.watch({
  getState: () => 'RUNNING',
  getStatus: () =>
    ({ numInFlightActivities: 2, numInFlightWorkflowActivations: 0, numCachedWorkflows: 1 }) as never,
});
let http: WorkerHttp;
let base: string;
beforeAll(async () => {
  http = await startWorkerHttp({
    host: '127.0.0.1',
    port: 0,
    bodyLimit: 1024,
    worker: { getState: () => 'RUNNING' },
    metrics,
    codec: aesGcmCodec({ current: 'k1', keys: { k1: TEST_KEY } }),
  });
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(() => http?.close());

const payload = (text: string) => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from(JSON.stringify(text)).toString('base64'),
});

describe('worker HTTP', () => {
  test('the codec endpoint refuses a body over http.bodyLimit with 413', async () => {
    const big = JSON.stringify({ payloads: [payload('x'.repeat(2048))] });
    const r = await fetch(`${base}/codec/encode`, { method: 'POST', body: big });
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({ error: 'the body is larger than worker.http.bodyLimit (1024 bytes)' });
    const small = await fetch(`${base}/codec/encode`, {
      method: 'POST',
      body: JSON.stringify({ payloads: [payload('ok')] }),
    });
    expect(small.status).toBe(200);
  });

  test('a codec request that is not { payloads } gets 400 with the shape to send', async () => {
    const r = await fetch(`${base}/codec/decode`, { method: 'POST', body: '{"nope":1}' });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: 'send { "payloads": [{ "metadata": {…}, "data": "<base64>" }] }',
      code: 'BAD_REQUEST',
    });
  });

  test('metrics keep their names, and label values are escaped', async () => {
    metrics.effectsDelivered.inc({ type: 'custom"\nkind' });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('closedloop_worker_up 1');
    expect(text).toContain('closedloop_worker_activities_in_flight 2');
    expect(text).toContain('closedloop_effects_delivered_total{type="custom\\"\\nkind"} 1');
  });
});

// closedloop-worker: config + env, /healthz, /metrics, the codec endpoint for the Temporal UI,
// graceful shutdown.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadWorkerConfig, runWorker, WorkerConfigSchema } from './run-worker.ts';
import { startDevServer, TEST_KEY, testOrg } from './test-kit.ts';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServer();
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

describe('closedloop-worker', { timeout: 60_000 }, () => {
  test('env vars override the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-worker-'));
    const file = join(dir, 'worker.json');
    writeFileSync(file, JSON.stringify({ temporal: { address: 'a:1', taskQueue: 'q' }, ...testOrg }));
    const config = loadWorkerConfig(file, {
      TEMPORAL_ADDRESS: 'b:2',
      TEMPORAL_NAMESPACE: 'cx',
      CLOSEDLOOP_ENCRYPTION_KEYS: `k2:${TEST_KEY},k1:${TEST_KEY}`,
    });
    expect(config.temporal).toMatchObject({ address: 'b:2', namespace: 'cx', taskQueue: 'q' });
    expect(config.encryption?.current).toBe('k2');
  });

  test('a bad config names the field', () => {
    expect(() => loadWorkerConfig(undefined, {})).toThrow(/directory/);
  });

  test('serves health, metrics and the codec, and stops on shutdown', async () => {
    const running = await runWorker(
      WorkerConfigSchema.parse({
        ...testOrg,
        http: { host: '127.0.0.1', port: 0 },
        encryption: { current: 'k1', keys: { k1: TEST_KEY } },
        temporal: { address: env.address, namespace: 'default', taskQueue: 'closedloop-cli' },
      }),
      { installRuntime: false },
    ).catch((e: unknown) => e);
    if (running instanceof Error) throw running;
    const base = `http://127.0.0.1:${(running as Awaited<ReturnType<typeof runWorker>>).httpPort}`;
    const r = running as Awaited<ReturnType<typeof runWorker>>;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('closedloop_worker_up 1');
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"ana@example.com"').toString('base64'),
    };
    const encoded = (await (
      await fetch(`${base}/codec/encode`, { method: 'POST', body: JSON.stringify({ payloads: [plain] }) })
    ).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString()).not.toContain('ana@example.com');
    const decoded = (await (
      await fetch(`${base}/codec/decode`, { method: 'POST', body: JSON.stringify(encoded) })
    ).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toBe('"ana@example.com"');
    await r.shutdown();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

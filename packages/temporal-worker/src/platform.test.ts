// The worker as a platform team meets it: the CommonJS build loads, missing search attributes and a
// missing encryption key fail with errors that say what to do, and the log keeps error messages.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClosedLoopError } from '@closedloop/core';
import { detractor } from '@closedloop/core/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTemporalClosedLoop } from './client.ts';
import { aesGcmCodec } from './codec.ts';
import { structuredLogger } from './logger.ts';
import { runWorker } from './run-worker.ts';
import { checkSearchAttributes } from './search-attributes.ts';
import { eventually, startDevServer, TEST_KEY, testDecider, testOrg } from './test-kit.ts';
import { bundleLoopWorkflows, createClosedLoopWorker } from './worker.ts';
import { WorkerConfigSchema } from './worker-config.ts';

const pkg = fileURLToPath(new URL('..', import.meta.url));

describe('the CommonJS build', () => {
  const out = `${pkg}node_modules/.cjs-check-${process.pid}`;
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('require() of the package and the bin load in a plain Node process', () => {
    execFileSync('pnpm', ['exec', 'tsup', '--no-dts', '--no-sourcemap', '--silent', '--out-dir', out], {
      cwd: pkg,
      stdio: 'pipe',
    });
    for (const f of readdirSync(out).filter((f) => f.endsWith('.cjs')))
      expect(readFileSync(`${out}/${f}`, 'utf8')).not.toContain('import.meta');
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `const m = require(${JSON.stringify(`${out}/index.cjs`)});
         const fs = require('node:fs');
         process.stdout.write(JSON.stringify({ create: typeof m.createClosedLoopWorker, workflows: fs.existsSync(m.workflowsPath) }));`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(loaded)).toEqual({ create: 'function', workflows: true });
    const help = execFileSync(process.execPath, [`${out}/bin.cjs`, '--help'], { encoding: 'utf8' });
    expect(help).toContain('closedloop-worker');
  }, 60_000);
});

test('the worker log keeps error messages (an Error is not "{}") and masks email addresses', () => {
  const lines: string[] = [];
  structuredLogger('INFO', (l) => {
    lines.push(l);
    return true;
  }).warn('Failed to activate workflow', {
    workflowId: 'loop-1',
    error: new Error('No decryption key "k9": reply to ana@example.com failed'),
  });
  const entry = JSON.parse(lines[0]!);
  expect(entry.error).toEqual({ name: 'Error', message: 'No decryption key "k9": reply to <email> failed' });
  expect(lines[0]).not.toContain('"error":{}');
  expect(lines[0]).not.toContain('ana@example.com');
});

describe('on a Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });

  test('a namespace without the search attributes fails worker start with the command that registers them', async () => {
    const namespace = `no-sa-${process.pid}`;
    await env.connection.workflowService.registerNamespace({
      namespace,
      // protobuf takes a plain number for the Long seconds field
      workflowExecutionRetentionPeriod: { seconds: 86_400 as never },
    });
    const failure = await eventually(async () => {
      const e = await checkSearchAttributes(env.nativeConnection, namespace, env.address).catch(
        (x: unknown) => x,
      );
      return e instanceof ClosedLoopError ? e : undefined;
    }, 30_000);
    expect(failure.code).toBe('CONFIGURATION');
    expect(failure.message).toContain(
      `temporal operator search-attribute create --address ${env.address} --namespace ${namespace} --name ClosedLoopStatus --type Keyword --name ClosedLoopPriority --type Keyword`,
    );
    await expect(
      checkSearchAttributes(env.nativeConnection, 'default', env.address),
    ).resolves.toBeUndefined();
    const config = WorkerConfigSchema.parse({
      ...testOrg,
      http: { host: '127.0.0.1', port: 0 },
      temporal: { address: env.address, namespace, taskQueue: 'sa-check' },
    });
    await expect(runWorker(config, { installRuntime: false })).rejects.toThrow(
      /search-attribute create .*--name ClosedLoopCaseId --type Keyword/,
    );
  }, 60_000);

  test('a client encrypting with a key the worker lacks gets a ClosedLoopError naming the key id', async () => {
    const taskQueue = 'key-mismatch';
    let worker: Worker | undefined;
    let running: Promise<void> | undefined;
    try {
      worker = await createClosedLoopWorker({
        connection: env.nativeConnection,
        taskQueue,
        dataConverter: {
          payloadCodecs: [aesGcmCodec({ current: 'worker-key', keys: { 'worker-key': TEST_KEY } })],
        },
        workflowBundle: await bundleLoopWorkflows(),
        decider: testDecider(),
        connectors: [],
        ...testOrg,
      });
      running = worker.run();
      const loop = createTemporalClosedLoop({
        connection: env.connection,
        taskQueue,
        dataConverter: {
          payloadCodecs: [aesGcmCodec({ current: 'client-2026', keys: { 'client-2026': TEST_KEY } })],
        },
      });
      const e = await loop.capture(detractor()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ClosedLoopError);
      expect((e as ClosedLoopError).code).toBe('CONFIGURATION');
      expect((e as ClosedLoopError).message).toContain('"client-2026"');
      expect((e as ClosedLoopError).message).not.toContain('@');
    } finally {
      worker?.shutdown();
      await running;
    }
  }, 120_000);
});

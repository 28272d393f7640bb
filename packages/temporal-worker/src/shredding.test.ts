// Crypto-shredding on a real Temporal dev server: erasing a customer terminates their running
// loops, destroys their data key, and leaves their histories undecodable, the mirror without
// them, and other customers readable.
import { execFileSync } from 'node:child_process';
import type { Store } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import type { PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createTemporalClosedLoop, workflowIdOf } from './client.ts';
import { privateDataConverter } from './codec.ts';
import { customerKeyCodec } from './customer-keys.ts';
import { runPrivacyErase } from './run-worker.ts';
import {
  dedupingReceiver,
  eventually,
  startDevServer,
  TEST_KEY,
  temporalCli,
  testDecider,
  testOrg,
} from './test-kit.ts';
import { bundleLoopWorkflows, createClosedLoopWorker } from './worker.ts';
import { WorkerConfigSchema } from './worker-config.ts';

const TASK_QUEUE = 'closedloop-shredding';
const SCHEMA = `shred_${process.pid}_${Date.now().toString(36)}`;
const LUCIA = 'lucia.shred-8812@example.es';
const OTHER = 'otro.cliente-8813@example.es';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let pool: pg.Pool;
let mirror: Store;
let codec: PayloadCodec;
const receiver = dedupingReceiver();
let loop: ReturnType<typeof createTemporalClosedLoop>;

beforeAll(async () => {
  env = await startDevServer();
  pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
  mirror = postgresStore({ pool, schema: SCHEMA });
  await mirror.init();
  codec = customerKeyCodec({ master: { current: 'm1', keys: { m1: TEST_KEY } }, keys: mirror.documents });
  worker = await createClosedLoopWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    dataConverter: privateDataConverter(codec),
    workflowBundle: await bundleLoopWorkflows(),
    decider: testDecider(),
    connectors: [receiver],
    mirror,
    ...testOrg,
  });
  running = worker.run();
  loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue: TASK_QUEUE,
    dataConverter: privateDataConverter(codec),
  });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await pool?.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await pool?.end();
});

/** Decodes every payload of a workflow's history with the codec; throws when one cannot be. */
async function decodeHistory(workflowId: string): Promise<string> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const texts: string[] = [];
  for (const e of history.events ?? []) {
    const payloads = [
      ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
      ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
      ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
    ];
    for (const p of await codec.decode(payloads)) texts.push(Buffer.from(p.data ?? []).toString('utf8'));
  }
  return texts.join('\n');
}

describe('crypto-shredding', { timeout: 90_000 }, () => {
  test('after erasure her histories cannot be decoded, her loop was terminated, the mirror has nothing of her', async () => {
    const capture = (email: string, responseId: string) =>
      loop.capture({
        source: { tool: 'typeform', responseId },
        customer: { email, name: 'Lucía Shred', segment: 'spain' },
        nps: 2,
        comment: `Comentario secreto de ${responseId}`,
        language: 'es',
      });
    const her = await capture(LUCIA, 'shred-1');
    const other = await capture(OTHER, 'shred-2');
    const herId = workflowIdOf({ loopId: her.loopId });
    await eventually(async () => (await mirror.findCustomer({ email: LUCIA })).loops.length === 1);
    // Before: readable with the keys.
    expect(await decodeHistory(herId)).toContain('Comentario secreto de shred-1');
    const raw = execFileSync(
      temporalCli(),
      ['workflow', 'show', '--workflow-id', herId, '--address', env.address, '-o', 'json'],
      { encoding: 'utf8' },
    );
    expect(raw).not.toContain(LUCIA);

    // As `closedloop-worker privacy-erase --email … --actor dpo` does it, from the worker config.
    const config = WorkerConfigSchema.parse({
      temporal: { address: env.address, namespace: 'default', taskQueue: TASK_QUEUE },
      directory: testOrg.directory,
      segments: testOrg.segments,
      encryption: { current: 'm1', keys: { m1: TEST_KEY }, perCustomer: true },
      mirror: { postgres: { urlEnv: 'SHRED_MIRROR', schema: SCHEMA } },
    });
    const result = await runPrivacyErase(
      config,
      { email: LUCIA },
      { actor: 'dpo', env: { SHRED_MIRROR: inject('pgUrl') } },
    );
    expect(result).toMatchObject({ erased: true, terminated: 1 });
    expect((await env.client.workflow.getHandle(herId).describe()).status.name).toBe('TERMINATED');
    await expect(decodeHistory(herId)).rejects.toThrow(/erased customer/);
    expect(await mirror.findCustomer({ email: LUCIA })).toEqual({
      feedback: [],
      cases: [],
      loops: [],
      deliveries: [],
    });
    // Grep: the history dumps and every mirror table hold nothing of her.
    for (const cmd of ['show', 'describe']) {
      const dump = execFileSync(
        temporalCli(),
        ['workflow', cmd, '--workflow-id', herId, '--address', env.address, '-o', 'json'],
        { encoding: 'utf8' },
      );
      expect(dump).not.toContain(LUCIA);
      expect(dump).not.toContain('Comentario secreto de shred-1');
    }
    let tables = '';
    for (const t of ['feedback', 'cases', 'loops', 'timers', 'deliveries', 'documents']) {
      const rows = await pool.query(`SELECT row_to_json(x)::text AS j FROM "${SCHEMA}"."${t}" x`);
      tables += rows.rows.map((r) => r.j).join('\n');
    }
    expect(tables).toContain(OTHER);
    expect(tables).not.toContain(LUCIA);
    expect(tables).not.toContain('Comentario secreto de shred-1');
    // Someone else's loop is untouched and readable.
    expect(await decodeHistory(workflowIdOf({ loopId: other.loopId }))).toContain(
      'Comentario secreto de shred-2',
    );
    expect((await loop.cases.get(other.case!.id)).customerEmail).toBe(OTHER);
  });
});

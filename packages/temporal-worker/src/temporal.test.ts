// The closed loop on a real Temporal dev server (the project's Temporal CLI, started here).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClosedLoopError, type Connector } from '@closedloop/core';
import { detractor } from '@closedloop/core/testing';
import { runtimeConformance } from '@closedloop/core/testing/conformance';
import { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTemporalClosedLoop, workflowIdOf } from './client.ts';
import { dedupingReceiver, eventually, startDevServer, testCodec, testDecider, testOrg } from './test-kit.ts';
import { bundleLoopWorkflows, createClosedLoopWorker } from './worker.ts';
import { commandSignal } from './workflows/definitions.ts';

const TASK_QUEUE = 'closedloop-test';
const FIXTURE = new URL('./fixtures/happy-path.history.json', import.meta.url);
/** The same loop recorded after delivery per (effect, connector) (the `delivery-per-connector` patch). */
const PER_CONNECTOR_FIXTURE = new URL('./fixtures/per-connector.history.json', import.meta.url);
/** The same loop recorded after `route` became a local activity (the `route-local-activity` patch). */
const LOCAL_ROUTE_FIXTURE = new URL('./fixtures/local-route.history.json', import.meta.url);
/** Every recorded history: each must replay on the current workflow code. */
const HISTORIES = [FIXTURE, PER_CONNECTOR_FIXTURE, LOCAL_ROUTE_FIXTURE];

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let bundle: { code: string };
const receiver = dedupingReceiver();
let loop: ReturnType<typeof createTemporalClosedLoop>;

beforeAll(async () => {
  env = await startDevServer();
  bundle = await bundleLoopWorkflows();
  worker = await createClosedLoopWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    dataConverter: { payloadCodecs: [testCodec()] },
    workflowBundle: bundle,
    decider: testDecider(),
    connectors: [receiver],
    ...testOrg,
  });
  running = worker.run();
  loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue: TASK_QUEUE,
    dataConverter: { payloadCodecs: [testCodec()] },
  });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const codecClient = () =>
  new Client({ connection: env.connection, dataConverter: { payloadCodecs: [testCodec()] } });

/** Waits until no delivery happened for a moment. */
async function settle() {
  let last = -1;
  await eventually(async () => {
    const n = receiver.calls.length;
    if (n === last) return true;
    last = n;
    await new Promise((r) => setTimeout(r, 300));
    return false;
  });
}

runtimeConformance(
  'temporal (dev server)',
  async () => ({
    loop,
    settle,
    deliveredKeys: () => [...receiver.applied.keys()],
    dispose: async () => {},
  }),
  { timeout: 60_000 },
);

describe('closed loop on Temporal', { timeout: 60_000 }, () => {
  test('a loop runs from capture to learned, each effect applied once, and its workflow completes', async () => {
    const { case: c, loopId } = await loop.capture(
      detractor({ source: { tool: 'happy', responseId: 'fixture-1' } }),
    );
    await loop.cases.update(c!.id, { status: 'open' }, { actor: 'ana' });
    await loop.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
    await loop.cases.inform(c!.id, { message: 'Cambiamos el embalaje' }, { actor: 'ana' });
    const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
    const end = await eventually(async () => {
      const d = await handle.describe();
      return d.status.name === 'COMPLETED' ? d : undefined;
    });
    expect(end.status.name).toBe('COMPLETED');
    const informed = await loop.cases.get(c!.id);
    expect(informed.customerInformedAt).toBeDefined();
    const keys = receiver.calls.filter((e) => e.loopId === loopId).map((e) => e.key);
    expect(keys).toContain(`${loopId}:v1:notify`);
    expect(keys.some((k) => k.endsWith(':inform'))).toBe(true);
    // Record the history once: replaying it is the determinism check below.
    for (const fixture of HISTORIES) {
      if (existsSync(fixture)) continue;
      const history = await handle.fetchHistory();
      writeFileSync(fixture, `${historyToJSON(history)}\n`);
    }
  });

  test('a redelivered capture starts no second workflow', async () => {
    const input = detractor();
    const a = await loop.capture(input);
    const b = await loop.capture(input);
    expect(b.duplicate).toBe(true);
    expect(b.case?.id).toBe(a.case?.id);
    const handle = env.client.workflow.getHandle(workflowIdOf({ loopId: a.loopId }));
    const d = await handle.describe();
    expect(d.runId).toBe((await handle.describe()).runId);
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({
      query: `WorkflowId = '${workflowIdOf({ loopId: a.loopId })}'`,
    })) {
      runs.push(wf.runId);
    }
    expect(runs.length).toBeLessThanOrEqual(1);
  });

  test('the rest of an answer, captured with onDuplicate update, updates the same loop', async () => {
    const input = detractor({ comment: undefined });
    const a = await loop.capture(input);
    const b = await loop.capture({ ...input, comment: 'Y nadie contestó' }, { onDuplicate: 'update' });
    expect(b).toMatchObject({ duplicate: true, updated: true, loopId: a.loopId });
    expect(b.case?.id).toBe(a.case?.id);
    const again = await loop.capture({ ...input, comment: 'Y nadie contestó' }, { onDuplicate: 'update' });
    expect(again.updated).toBe(false);
  });

  test('a case change sent as a signal is applied without an answer', async () => {
    const { case: c, loopId } = await loop.capture(detractor());
    await codecClient().workflow.getHandle(workflowIdOf({ loopId })).signal(commandSignal, {
      type: 'COMMENT',
      actor: 'ana',
      commentId: 'sig-1',
      body: 'Por señal',
    });
    const commented = await eventually(async () => {
      const now = await loop.cases.get(c!.id);
      return now.comments.length > 0 ? now : undefined;
    });
    expect(commented.comments[0]).toMatchObject({ id: 'sig-1', body: 'Por señal' });
  });

  test('a refused update is rejected with its reason and leaves no trace in history', async () => {
    const { case: c, loopId } = await loop.capture(detractor());
    const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
    const accepted = async () =>
      ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
      ).length;
    const before = await accepted();
    const error = (await loop.cases
      .update(c!.id, { status: 'new' }, { actor: 'ana' })
      .catch((e: unknown) => e)) as ClosedLoopError;
    expect(error).toBeInstanceOf(ClosedLoopError);
    expect(error.code).toBe('MOVE_REFUSED');
    expect(error.message).toContain('changes nothing');
    expect(await accepted()).toBe(before);
    expect((await loop.cases.get(c!.id)).version).toBe(c!.version);
  });

  test('an SLA breach fires a Temporal timer and runs the escalation chain', async () => {
    const { case: c, loopId } = await loop.capture(detractor({ comment: 'Nadie contesta [fast-sla]' }));
    const breached = await eventually(async () => {
      const now = await loop.cases.get(c!.id);
      return now.version > c!.version ? now : undefined;
    });
    expect(breached.priority).not.toBe(c!.priority);
    await eventually(() =>
      receiver.calls.some((e) => e.loopId === loopId && e.type === 'notify' && e.reason === 'slaBreached'),
    );
    const history = await env.client.workflow.getHandle(workflowIdOf({ loopId })).fetchHistory();
    expect(history.events?.some((e) => e.timerFiredEventAttributes)).toBe(true);
  });

  test('search attributes list cases through Temporal visibility', async () => {
    const { case: c } = await loop.capture(
      detractor({ customer: { email: 'sa@example.it', segment: 'italy' } }),
    );
    const ids = await eventually(async () => {
      const found: string[] = [];
      for await (const wf of env.client.workflow.list({
        query: `ClosedLoopSegment = 'italy' AND ClosedLoopStatus = 'new'`,
      })) {
        found.push(wf.workflowId);
      }
      return found.includes(workflowIdOf({ caseId: c!.id })) ? found : undefined;
    });
    expect(ids).toContain(workflowIdOf({ caseId: c!.id }));
  });

  test('customer data never reaches the server in plain text', async () => {
    const { loopId } = await loop.capture(
      detractor({ customer: { email: 'secret.person@example.es', name: 'Secreta', segment: 'spain' } }),
    );
    const raw = new Client({ connection: env.connection });
    const history = await raw.workflow.getHandle(workflowIdOf({ loopId })).fetchHistory();
    const text = JSON.stringify(history);
    expect(text).not.toContain('secret.person');
    expect(text).not.toContain('Secreta');
  });

  test('recorded histories replay on the current workflow code (a non-deterministic change fails)', async () => {
    const histories = HISTORIES.map((fixture, i) => {
      expect(existsSync(fixture)).toBe(true);
      return {
        workflowId: `fixture-${i}`,
        history: historyFromJSON(JSON.parse(readFileSync(fixture, 'utf8'))),
      };
    });
    const results = Worker.runReplayHistories(
      { workflowBundle: bundle, dataConverter: { payloadCodecs: [testCodec()] } },
      histories,
    );
    let replayed = 0;
    for await (const r of results) {
      expect(r.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(3);
  });

  test('a workflow change that breaks determinism fails the replay', async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(FIXTURE, 'utf8')));
    const broken = await bundleLoopWorkflows({
      workflowsPath: fileURLToPath(new URL('./fixtures/broken.workflow.ts', import.meta.url)),
    });
    const results = Worker.runReplayHistories(
      { workflowBundle: broken, dataConverter: { payloadCodecs: [testCodec()] } },
      [{ workflowId: 'fixture', history }],
    );
    const errors: unknown[] = [];
    for await (const r of results) errors.push(r.error);
    expect(errors[0]).toBeInstanceOf(DeterminismViolationError);
  });

  test('the same change behind patched() replays old histories', async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(FIXTURE, 'utf8')));
    const patchedBundle = await bundleLoopWorkflows({
      workflowsPath: fileURLToPath(new URL('./fixtures/patched.workflow.ts', import.meta.url)),
    });
    const results = Worker.runReplayHistories(
      { workflowBundle: patchedBundle, dataConverter: { payloadCodecs: [testCodec()] } },
      [{ workflowId: 'fixture', history }],
    );
    for await (const r of results) expect(r.error).toBeUndefined();
  });

  test('a long loop continues as new past its history limit and keeps its case', async () => {
    const short = createTemporalClosedLoop({
      connection: env.connection,
      taskQueue: TASK_QUEUE,
      dataConverter: { payloadCodecs: [testCodec()] },
      maxHistoryEvents: 40,
    });
    const { case: c, loopId } = await short.capture(detractor());
    for (let i = 0; i < 12; i++) await short.cases.comment(c!.id, `nota ${i}`, { actor: 'ana' });
    const handle = env.client.workflow.getHandle(workflowIdOf({ loopId }));
    const runs = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({
        query: `WorkflowId = '${workflowIdOf({ loopId })}'`,
      }))
        ids.push(wf.runId);
      return ids.length > 1 ? ids : undefined;
    });
    expect(runs.length).toBeGreaterThan(1);
    const now = await short.cases.get(c!.id);
    expect(now.comments).toHaveLength(12);
    await short.cases.resolve(c!.id, { rootCause: 'packaging' }, { actor: 'ana' });
    await short.cases.inform(c!.id, { message: 'Hecho' }, { actor: 'ana' });
    await eventually(async () => (await handle.describe()).status.name === 'COMPLETED');
  });
});

describe('delivery per (effect, connector) on Temporal', { timeout: 60_000 }, () => {
  const QUEUE = 'closedloop-delivery';
  // Every call fails for good (a misconfigured connector), listed first.
  const refusing = dedupingReceiver('refusing');
  refusing.failNext(Number.POSITIVE_INFINITY, false);
  const good = dedupingReceiver('good');
  // The first delivery of each effect never resolves unless aborted (a hung CRM).
  const hangCalls = new Map<string, number>();
  const hung = new Set<string>();
  const hanging: Connector = {
    name: 'hanging',
    capabilities: ['notify'],
    deliver: (effect, ctx) =>
      new Promise((resolve, reject) => {
        const n = (hangCalls.get(effect.key) ?? 0) + 1;
        hangCalls.set(effect.key, n);
        if (n > 1) {
          hung.add(effect.key);
          return resolve();
        }
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
  };
  let w: Worker;
  let run: Promise<void>;
  let l: ReturnType<typeof createTemporalClosedLoop>;
  beforeAll(async () => {
    w = await createClosedLoopWorker({
      connection: env.nativeConnection,
      taskQueue: QUEUE,
      dataConverter: { payloadCodecs: [testCodec()] },
      workflowBundle: bundle,
      decider: testDecider(),
      connectors: [refusing, hanging, good],
      deliveryTimeoutMs: 300,
      ...testOrg,
    });
    run = w.run();
    l = createTemporalClosedLoop({
      connection: env.connection,
      taskQueue: QUEUE,
      dataConverter: { payloadCodecs: [testCodec()] },
    });
  });
  afterAll(async () => {
    w?.shutdown();
    await run;
  });

  test('a connector that gives up does not keep the effect from the others', async () => {
    const { loopId } = await l.capture(detractor());
    const notice = `${loopId}:v1:notify`;
    await eventually(() => good.applied.has(notice));
    expect(refusing.calls.filter((e) => e.key === notice)).toHaveLength(1);
    expect(refusing.applied.has(notice)).toBe(false);
  });

  test('a delivery that hangs is aborted at the deadline and retried as a transient failure', async () => {
    const { loopId } = await l.capture(detractor());
    const notice = `${loopId}:v1:notify`;
    await eventually(() => hung.has(notice));
    expect(hangCalls.get(notice)).toBe(2);
    expect(good.calls.filter((e) => e.key === notice)).toHaveLength(1);
  });
});

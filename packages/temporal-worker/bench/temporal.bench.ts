// `pnpm bench`: 1,000 loops through the closedloop worker on the local Temporal dev server, against
// a bare workflow making the same number of activity calls, in the same run.
//   node --conditions=@closedloop/source packages/temporal-worker/bench/temporal.bench.ts
import { fileURLToPath } from 'node:url';
import { EFFECT_TYPES, type Effect, postgresStore, type Store } from '@closedloop/core';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import pg from 'pg';
import { writeResults } from '../../../bench/results.ts';
import { startPostgres } from '../../../test/postgres.ts';
import { createTemporalClosedLoop, workflowIdOf } from '../src/client.ts';
import { testCodec, testOrg } from '../src/fixtures/org.ts';
import { startDevServer } from '../src/test-kit.ts';
import { bundleLoopWorkflows, bundlerOptions, createClosedLoopWorker } from '../src/worker.ts';
import { bareCapture, type bareLoop } from './bare.workflow.ts';

const LOOPS = Number(process.env.LOOPS ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
const dataConverter = { payloadCodecs: [testCodec()] };

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pool(n: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function until(check: () => boolean, ms = 300_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const env = await startDevServer();
const run = `${Date.now()}`;

// closedloop, without and with a PostgreSQL mirror
let delivered = 0;
const counter = {
  name: 'count',
  capabilities: EFFECT_TYPES,
  async deliver(_e: Effect) {
    delivered++;
  },
};
const feedback = (i: number, tag: string) => ({
  source: { tool: 'bench', responseId: `${run}-${tag}-${i}` },
  customer: { email: `c${i}@example.es`, name: 'Lucía', segment: 'spain' },
  nps: 2,
  comment: 'El pedido llegó roto',
  language: 'es',
});
const loopBundle = await bundleLoopWorkflows();

/** LOOPS captures through a closedloop worker; done when every effect was delivered and `caughtUp`. */
async function runLoops(tag: string, mirror?: Store, caughtUp: () => Promise<boolean> = async () => true) {
  const taskQueue = `bench-${tag}`;
  const worker = await createClosedLoopWorker({
    connection: env.nativeConnection,
    taskQueue,
    dataConverter,
    workflowBundle: loopBundle,
    ...testOrg,
    connectors: [counter],
    ...(mirror ? { mirror } : {}),
  });
  const loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue,
    dataConverter,
    searchAttributes: process.env.SEARCH_ATTRIBUTES !== '0',
  });
  return worker.runUntil(async () => {
    delivered = 0;
    // Warm-up, and how many effects a loop emits up to its case.
    await loop.capture(feedback(-1, tag));
    await until(() => delivered > 0);
    await new Promise((r) => setTimeout(r, 500));
    const effectsPerLoop = delivered;
    delivered = 0;
    const latencies: number[] = [];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await pool(LOOPS, async (i) => {
      const s = performance.now();
      await loop.capture(feedback(i, tag));
      latencies.push(performance.now() - s);
    });
    await until(() => delivered >= LOOPS * effectsPerLoop);
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const raw = new Client({ connection: env.connection, dataConverter });
    let events = 0;
    const sample = 20;
    for (let i = 0; i < sample; i++) {
      const ids = (await loop.capture(feedback(i, tag))).loopId;
      const h = await raw.workflow.getHandle(workflowIdOf({ loopId: ids })).fetchHistory();
      events += h.events?.length ?? 0;
    }
    latencies.sort((a, b) => a - b);
    return {
      loopsPerSecond: LOOPS / seconds,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      effectsPerLoop,
      historyEventsPerLoop: events / sample,
      workerCpuMsPerLoop: (cpu.user + cpu.system) / 1000 / LOOPS,
    };
  });
}

const loopResult = await runLoops('loop');
const pgServer = await startPostgres();
const pgPool = new pg.Pool({ connectionString: pgServer.url, max: 10 });
const mirror = postgresStore({ pool: pgPool, schema: 'mirror' });
await mirror.init();
const mirrorResult = await runLoops('mirror', mirror, async () => {
  const { rows } = await pgPool.query('SELECT count(*)::int AS n FROM mirror.loops');
  return rows[0].n >= LOOPS + 1;
});
await mirror.close();
await pgPool.end();
await pgServer.stop();

// bare workflow, same activity calls
let calls = 0;
const bareWorker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue: 'bench-bare',
  dataConverter,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bare.workflow.ts', import.meta.url)),
    ...bundlerOptions,
  }),
  activities: {
    async noop(x: string) {
      calls++;
      return x;
    },
  },
});
const bareResult = await bareWorker.runUntil(async () => {
  const effects = loopResult.effectsPerLoop;
  const client = new Client({ connection: env.connection, dataConverter });
  const start = (i: number) =>
    client.workflow.executeUpdateWithStart(bareCapture, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof bareLoop>('bareLoop', {
        workflowId: `bare-${run}-${i}`,
        taskQueue: 'bench-bare',
        args: [{ id: `${i}`, effects }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  await start(-1);
  await until(() => calls >= 1 + effects);
  calls = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await pool(LOOPS, async (i) => {
    const s = performance.now();
    await start(i);
    latencies.push(performance.now() - s);
  });
  await until(() => calls >= LOOPS * (1 + effects));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  let events = 0;
  for (let i = 0; i < 20; i++)
    events += (await env.client.workflow.getHandle(`bare-${run}-${i}`).fetchHistory()).events?.length ?? 0;
  latencies.sort((a, b) => a - b);
  return {
    loopsPerSecond: LOOPS / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    historyEventsPerLoop: events / 20,
    workerCpuMsPerLoop: (cpu.user + cpu.system) / 1000 / LOOPS,
  };
});
await env.teardown();

const ratio = loopResult.loopsPerSecond / bareResult.loopsPerSecond;
const mirrorRatio = mirrorResult.loopsPerSecond / loopResult.loopsPerSecond;
const f = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d });
const md = `## Temporal worker (temporal-worker)

${f(LOOPS, 0)} detractor loops through one closedloop worker on the local Temporal dev server (Temporal CLI, in-memory), ${CONCURRENCY} captures in flight, AES-256-GCM payload codec on, ${process.version}. A loop counts once its case exists and the ${loopResult.effectsPerLoop} effects it emitted were delivered (1 decide + ${loopResult.effectsPerLoop} deliver activities); capture latency is capture() → case created (update-with-start). The reference is a bare workflow making the same ${1 + loopResult.effectsPerLoop} activity calls behind the same update-with-start, in the same run.

| run | loops/s | p50 capture | p99 capture | history events / loop | worker+client CPU / loop | vs reference |
|---|---:|---:|---:|---:|---:|---|
| closedloop workflow | ${f(loopResult.loopsPerSecond)} | ${f(loopResult.p50)} ms | ${f(loopResult.p99)} ms | ${f(loopResult.historyEventsPerLoop)} | ${f(loopResult.workerCpuMsPerLoop)} ms | ${f(ratio * 100, 0)}% of the bare workflow (target ≥ 80%) ${ratio >= 0.8 ? '✔' : '✘'} |
| closedloop workflow + PostgreSQL mirror (done when the mirror has every loop) | ${f(mirrorResult.loopsPerSecond)} | ${f(mirrorResult.p50)} ms | ${f(mirrorResult.p99)} ms | ${f(mirrorResult.historyEventsPerLoop)} | ${f(mirrorResult.workerCpuMsPerLoop)} ms | ${f(mirrorRatio * 100, 0)}% of the closedloop workflow without it |
| reference: bare workflow, same activity calls | ${f(bareResult.loopsPerSecond)} | ${f(bareResult.p50)} ms | ${f(bareResult.p99)} ms | ${f(bareResult.historyEventsPerLoop)} | ${f(bareResult.workerCpuMsPerLoop)} ms | |
`;
writeResults(
  'temporal',
  {
    loops: LOOPS,
    concurrency: CONCURRENCY,
    node: process.version,
    closedloop: loopResult,
    mirrored: mirrorResult,
    bare: bareResult,
    ratio,
    mirrorRatio,
  },
  md,
);

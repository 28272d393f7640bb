// `pnpm bench`: 1,000 loops through the closedloop worker on the local Temporal dev server, against
// a bare workflow making the same activity and local activity calls, in the same run; then scale-out: the
// same loops through one and through two worker processes on the same server and task queue,
// with each worker's CPU time and the server's.
//   node --conditions=@closedloop/source packages/temporal-worker/bench/temporal.bench.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EFFECT_TYPES, type Effect, type Store } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import pg from 'pg';
import { measuredOn, writeResults } from '../../../bench/results.ts';
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

// Scale-out: closedloop workers in their own processes (as deployed), one then two, on one server.
const bundleDir = mkdtempSync(join(tmpdir(), 'closedloop-bench-'));
const bundlePath = join(bundleDir, 'workflows.js');
writeFileSync(bundlePath, loopBundle.code);

/** CPU ms of the dev server process (a child of this one), from /proc; undefined where there is none. */
function serverCpuMs(): number | undefined {
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // fields after the name: state, ppid, …, utime (12th), stime (13th), in 1/100 s ticks
      if (comm === 'temporal' && Number(f[1]) === process.pid) return (Number(f[11]) + Number(f[12])) * 10;
    }
  } catch {}
  return undefined;
}

interface WorkerProcess {
  child: ChildProcess;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}
function startWorkerProcess(taskQueue: string, onDelivered: () => void): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@closedloop/source',
      '--no-warnings',
      fileURLToPath(new URL('./scale.worker.ts', import.meta.url)),
    ],
    {
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue, BUNDLE_PATH: bundlePath },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const cpuWaiters: ((ms: number) => void)[] = [];
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`worker process exited ${code}`)));
    child.on('message', (m: { type: string; ms?: number }) => {
      if (m.type === 'delivered') onDelivered();
      else if (m.type === 'cpu') cpuWaiters.shift()?.(m.ms!);
      else if (m.type === 'ready')
        resolve({
          child,
          cpuMs: () =>
            new Promise((r) => {
              cpuWaiters.push(r);
              child.send({ type: 'cpu' });
            }),
          stop: () =>
            new Promise((r) => {
              child.removeAllListeners('exit');
              child.on('exit', () => r());
              child.send({ type: 'stop' });
            }),
        });
    });
  });
}

async function runScaleOut(workers: number) {
  const tag = `scale${workers}`;
  const taskQueue = `bench-${tag}`;
  let done = 0;
  const procs = await Promise.all(
    Array.from({ length: workers }, () => startWorkerProcess(taskQueue, () => done++)),
  );
  const loop = createTemporalClosedLoop({
    connection: env.connection,
    taskQueue,
    dataConverter,
    searchAttributes: process.env.SEARCH_ATTRIBUTES !== '0',
  });
  try {
    // Warm-up on every worker (JIT, connections), and how many effects a loop emits.
    const effects = loopResult.effectsPerLoop;
    await pool(CONCURRENCY * 2, (i) => loop.capture(feedback(-1 - i, tag)).then(() => undefined));
    await until(() => done >= CONCURRENCY * 2 * effects);
    done = 0;
    const latencies: number[] = [];
    const cpu0 = await Promise.all(procs.map((p) => p.cpuMs()));
    const server0 = serverCpuMs();
    const t0 = performance.now();
    await pool(LOOPS, async (i) => {
      const s = performance.now();
      await loop.capture(feedback(i, tag));
      latencies.push(performance.now() - s);
    });
    await until(() => done >= LOOPS * effects);
    const seconds = (performance.now() - t0) / 1000;
    const server1 = serverCpuMs();
    const cpu1 = await Promise.all(procs.map((p) => p.cpuMs()));
    const perWorkerCpuSeconds = cpu1.map((c, i) => (c - cpu0[i]!) / 1000);
    const workerCpuSeconds = perWorkerCpuSeconds.reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    return {
      workers,
      loopsPerSecond: LOOPS / seconds,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      perWorkerCpuSeconds,
      workerCpuMsPerLoop: (workerCpuSeconds * 1000) / LOOPS,
      loopsPerWorkerCpuSecond: LOOPS / workerCpuSeconds,
      serverCpuMsPerLoop:
        server0 === undefined || server1 === undefined ? undefined : (server1 - server0) / LOOPS,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}
const scale1 = await runScaleOut(1);
const scale2 = await runScaleOut(2);
rmSync(bundleDir, { recursive: true, force: true });

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
    async localNoop(x: string) {
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
const ms = (n: number | undefined) => (n === undefined ? 'n/a' : `${f(n)} ms`);
const scaleGain = scale2.loopsPerSecond / scale1.loopsPerSecond;
const md = `## Temporal worker (temporal-worker)

${f(LOOPS, 0)} detractor loops on the local Temporal dev server (Temporal CLI, in-memory persistence, one process), AES-256-GCM payload codec on. A loop counts once its case exists and the ${loopResult.effectsPerLoop} effects it emitted were delivered (1 decide activity, then per effect a local activity routing it and a deliver activity per connector: one connector here); capture latency is capture() → case created (update-with-start). The reference is a bare workflow making the same calls (${1 + loopResult.effectsPerLoop} activities, ${loopResult.effectsPerLoop} local activities) behind the same update-with-start, in the same run. Scale-out rows: the same loops through 1 and 2 closedloop workers, each in its own process, on the same server and task queue; worker CPU is the workers' own (client excluded), server CPU the dev server process's. ${measuredOn(CONCURRENCY)}

| run | workers | loops/s | reference loops/s | ratio | p50 capture | p99 capture | history events / loop | CPU / loop | loops per worker CPU s | server CPU / loop |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| closedloop workflow (worker in the client's process) | 1 | ${f(loopResult.loopsPerSecond)} | ${f(bareResult.loopsPerSecond)} (bare workflow) | ${f(ratio * 100, 0)}% (target ≥ 80% ${ratio >= 0.8 ? '✔' : '✘'}) | ${f(loopResult.p50)} ms | ${f(loopResult.p99)} ms | ${f(loopResult.historyEventsPerLoop)} | ${f(loopResult.workerCpuMsPerLoop)} ms (worker + client) | | |
| closedloop workflow + PostgreSQL mirror (done when the mirror has every loop) | 1 | ${f(mirrorResult.loopsPerSecond)} | ${f(loopResult.loopsPerSecond)} (without mirror) | ${f(mirrorRatio * 100, 0)}% | ${f(mirrorResult.p50)} ms | ${f(mirrorResult.p99)} ms | ${f(mirrorResult.historyEventsPerLoop)} | ${f(mirrorResult.workerCpuMsPerLoop)} ms (worker + client) | | |
| reference: bare workflow, same activity calls | 1 | ${f(bareResult.loopsPerSecond)} | | | ${f(bareResult.p50)} ms | ${f(bareResult.p99)} ms | ${f(bareResult.historyEventsPerLoop)} | ${f(bareResult.workerCpuMsPerLoop)} ms (worker + client) | | |
| scale-out: 1 worker process | 1 | ${f(scale1.loopsPerSecond)} | | | ${f(scale1.p50)} ms | ${f(scale1.p99)} ms | ${f(loopResult.historyEventsPerLoop)} | ${f(scale1.workerCpuMsPerLoop)} ms (worker) | ${f(scale1.loopsPerWorkerCpuSecond, 0)} | ${ms(scale1.serverCpuMsPerLoop)} |
| scale-out: 2 worker processes | 2 | ${f(scale2.loopsPerSecond)} | ${f(scale1.loopsPerSecond)} (1 worker process) | ${f(scaleGain * 100, 0)}% | ${f(scale2.p50)} ms | ${f(scale2.p99)} ms | ${f(loopResult.historyEventsPerLoop)} | ${f(scale2.workerCpuMsPerLoop)} ms (workers) | ${f(scale2.loopsPerWorkerCpuSecond, 0)} | ${ms(scale2.serverCpuMsPerLoop)} |
`;
writeResults(
  'temporal',
  {
    loops: LOOPS,
    concurrency: CONCURRENCY,
    closedloop: loopResult,
    mirrored: mirrorResult,
    bare: bareResult,
    scaleOut: { oneWorker: scale1, twoWorkers: scale2, twoToOne: scaleGain },
    ratio,
    mirrorRatio,
  },
  md,
);

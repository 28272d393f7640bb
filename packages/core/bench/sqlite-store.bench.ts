// Benchmark: the SQLite store at its limit (issue 16 §1). capture() → case committed with its
// effects, synchronous=FULL, every feedback durable before capture() resolves, at 16 and at 128
// captures in flight, against raw node:sqlite measured in the same run:
//   - the same rows (the steps of the same captures, encoded as the store encodes them),
//   - into the same schema (a file brought to the store's current version by its migrations),
//   - synchronous=FULL, WAL, the store's PRAGMAs, plain prepared INSERTs,
//   - in transactions of as many captures as are in flight (16-row for 16, 128-row for 128).
// The machine may be shared: store and reference run alternately, ROUNDS times each, each round
// in a child process of its own (a fresh heap), and the table shows medians; the ratio is the
// median of the per-round ratios.
// Run: pnpm bench sqlite-store (or node --conditions=@closedloop/source --expose-gc packages/core/bench/sqlite-store.bench.ts)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createClosedLoop, memoryStore, type Store, sqliteStore } from '@closedloop/core';
import { measuredOn, writeResults } from '../../../bench/results.ts';
import { migrateSqlite } from '../src/stores/sqlite-migrations.ts';
import { encodeStep, pragmas } from '../src/stores/sqlite-schema.ts';
import type { StepWrite } from '../src/stores/store.ts';
import {
  captureAll,
  detractorInputs,
  people,
  percentile,
  recording,
  segments,
  sink,
  writeRawSteps,
} from './fixtures.ts';

const N = Number(process.env.BENCH_N ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IN_FLIGHT = (process.env.BENCH_IN_FLIGHT ?? '16,128').split(',').map(Number);

const inputs = detractorInputs(N);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function runStore(store: Store, inFlight: number) {
  const loop = createClosedLoop({ store, directory: people, segments, connectors: [sink], autoStart: false });
  const t0 = performance.now();
  const latencies = await captureAll(loop, inputs, inFlight);
  const seconds = (performance.now() - t0) / 1000;
  const { total } = await loop.cases.list({ limit: 0 });
  await loop.close();
  if (total !== N) throw new Error(`expected ${N} cases, got ${total}`);
  latencies.sort((a, b) => a - b);
  return { loopsPerSecond: N / seconds, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99) };
}

/** The rows the store writes for these inputs: the steps recorded on a memory store, encoded as the SQLite store encodes them. */
async function rowsOfInputs() {
  const written: StepWrite[] = [];
  await runStore(recording(memoryStore(), written), 16);
  if (written.length !== N) throw new Error(`expected one step per capture, got ${written.length}`);
  return written.map(encodeStep);
}

type Round = { role: 'store' | 'raw'; inFlight: number; path: string };

/**
 * One measured round, alone in this process (BENCH_ROUND set by the parent): a fresh heap, so
 * that neither side pays for the other's garbage or for rows the other keeps (10,000 recorded
 * steps on the heap made the store's major GCs show in its p99). Prints its result as JSON.
 */
async function oneRound({ role, inFlight, path }: Round) {
  if (role === 'raw') {
    const rows = await rowsOfInputs();
    const db = new DatabaseSync(path);
    db.exec(pragmas('FULL'));
    migrateSqlite(db, path);
    return writeRawSteps(db, rows, inFlight);
  }
  // Warm the JIT and the file system first, unmeasured.
  await runStore(sqliteStore({ path: `${path}.warm` }), inFlight);
  return runStore(sqliteStore({ path }), inFlight);
}

if (process.env.BENCH_ROUND) {
  const round = JSON.parse(process.env.BENCH_ROUND) as Round;
  const result = await oneRound(round);
  // Each round leaves the disk as it found it.
  for (const f of [round.path, `${round.path}.warm`])
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${f}${suffix}`, { force: true });
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

/** Runs one round in a child process (the same Node flags) and returns what it printed. */
function inChild<T>(round: Round): T {
  const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename], {
    env: { ...process.env, BENCH_ROUND: JSON.stringify(round) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`the ${round.role} round (${round.inFlight} in flight) failed`);
  return JSON.parse(r.stdout) as T;
}

const dir = mkdtempSync(join(tmpdir(), 'closedloop-sqlite-bench-'));
try {
  let file = 0;
  const byInFlight = [];
  for (const inFlight of IN_FLIGHT) {
    const store: Awaited<ReturnType<typeof runStore>>[] = [];
    const raw: ReturnType<typeof writeRawSteps>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(inChild({ role: 'raw', inFlight, path: join(dir, `raw-${file++}.sqlite`) }));
      store.push(inChild({ role: 'store', inFlight, path: join(dir, `store-${file++}.sqlite`) }));
    }
    const ratios = store.map((s, i) => s.loopsPerSecond / raw[i]!.loopsPerSecond);
    byInFlight.push({
      inFlight,
      store: {
        loopsPerSecond: median(store.map((s) => s.loopsPerSecond)),
        p50ms: median(store.map((s) => s.p50ms)),
        p99ms: median(store.map((s) => s.p99ms)),
      },
      rawLoopsPerSecond: median(raw.map((s) => s.loopsPerSecond)),
      rawTransactionP99ms: median(raw.map((s) => s.transactionP99ms)),
      ratio: median(ratios),
      rounds: { store, raw, ratios },
    });
  }
  const results = {
    feedback: N,
    rounds: ROUNDS,
    synchronous: 'FULL',
    byInFlight,
    targets: { ratioToRaw: 0.6, loopsPerSecondAt128: 10_000, p99msAt16: 5 },
  };
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const pc = (r: number) => `${(r * 100).toFixed(0)}%`;
  const ok = (pass: boolean) => (pass ? '✔' : '✘');
  const rowsMd = byInFlight.map((b) => {
    const targets = [`ratio ≥ 60% ${ok(b.ratio >= 0.6)}`];
    if (b.inFlight === 128) targets.push(`≥ 10,000 loops/s ${ok(b.store.loopsPerSecond >= 10_000)}`);
    if (b.inFlight === 16) targets.push(`p99 < 5 ms ${ok(b.store.p99ms < 5)}`);
    return `| ${b.inFlight} | ${f(b.store.loopsPerSecond)} | ${f(b.rawLoopsPerSecond)} | ${pc(b.ratio)} | ${b.store.p50ms.toFixed(2)} ms | ${b.store.p99ms.toFixed(2)} ms | ${b.rawTransactionP99ms.toFixed(2)} ms | ${targets.join(', ')} |`;
  });
  const md = `## SQLite store at the limit (core)

${N.toLocaleString('en-US')} detractor answers (each opens a case and commits 2 outbox effects), capture() → case committed with its effects, synchronous=FULL (every feedback durable before capture() resolves). Reference, same run: raw node:sqlite inserting the same rows into the same schema (the store's migrations), synchronous=FULL, WAL, in transactions of as many captures as are in flight. Medians of ${ROUNDS} alternating rounds, each in a process of its own (a fresh heap; the store warmed up first on another file); the ratio is the median of the per-round ratios. "raw: p99 of one transaction" is the reference's BEGIN → COMMIT time per transaction (fsync included, and SQLite's own checkpoints): a capture waits for at least one such transaction, usually for the end of the one before it too. ${measuredOn(IN_FLIGHT.join(' and '))}

| in flight | store loops/s | raw node:sqlite loops/s (same rows, in-flight-sized transactions) | ratio | p50 capture | p99 capture | raw: p99 of one transaction | targets |
|---:|---:|---:|---:|---:|---:|---:|---|
${rowsMd.join('\n')}
`;
  writeResults('sqlite-store', results, md);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Benchmark: the SQLite store at its limit (issue 16 §1). capture() → case committed with its
// effects, synchronous=FULL, every feedback durable before capture() resolves, at 16 and at 128
// captures in flight, against raw node:sqlite measured in the same run:
//   - the same rows (the steps of the same captures, encoded as the store encodes them),
//   - into the same schema (a file brought to the store's current version by its migrations),
//   - synchronous=FULL, WAL, the store's PRAGMAs, plain prepared INSERTs,
//   - in transactions of as many captures as are in flight (16-row for 16, 128-row for 128).
// The machine may be shared: store and reference run alternately, ROUNDS times each, and the
// table shows medians; the ratio is the median of the per-round ratios.
// Run: pnpm bench sqlite-store (or node --conditions=@closedloop/source --expose-gc packages/core/bench/sqlite-store.bench.ts)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createClosedLoop, memoryStore, type Store, sqliteStore } from '@closedloop/core';
import { measuredOn, writeResults } from '../../../bench/results.ts';
import { migrateSqlite } from '../src/stores/sqlite-migrations.ts';
import { encodeStep, pragmas } from '../src/stores/sqlite-schema.ts';
import type { EncodedStep } from '../src/stores/sqlite-writer.ts';
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

/** The same rows, raw node:sqlite, one transaction per `batch` steps, the store's schema and PRAGMAs. */
function runRaw(path: string, steps: EncodedStep[], batch: number) {
  const db = new DatabaseSync(path);
  db.exec(pragmas('FULL'));
  migrateSqlite(db, path);
  return writeRawSteps(db, steps, batch);
}

const dir = mkdtempSync(join(tmpdir(), 'closedloop-sqlite-bench-'));
try {
  const written: StepWrite[] = [];
  await runStore(recording(memoryStore(), written), 16);
  if (written.length !== N) throw new Error(`expected one step per capture, got ${written.length}`);
  const rows = written.map(encodeStep);
  // Warm the JIT and the file system once, unmeasured.
  await runStore(sqliteStore({ path: join(dir, 'warm.sqlite') }), 16);
  let file = 0;
  const byInFlight = [];
  for (const inFlight of IN_FLIGHT) {
    const store: Awaited<ReturnType<typeof runStore>>[] = [];
    const raw: ReturnType<typeof runRaw>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(runRaw(join(dir, `raw-${file++}.sqlite`), rows, inFlight));
      store.push(await runStore(sqliteStore({ path: join(dir, `store-${file++}.sqlite`) }), inFlight));
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

${N.toLocaleString('en-US')} detractor answers (each opens a case and commits 2 outbox effects), capture() → case committed with its effects, synchronous=FULL (every feedback durable before capture() resolves). Reference, same run: raw node:sqlite inserting the same rows into the same schema (the store's migrations), synchronous=FULL, WAL, in transactions of as many captures as are in flight. Medians of ${ROUNDS} alternating rounds; the ratio is the median of the per-round ratios. "raw: p99 of one transaction" is the reference's BEGIN → COMMIT time per transaction (fsync included, and SQLite's own checkpoints): a capture waits for at least one such transaction, usually for the end of the one before it too. ${measuredOn(IN_FLIGHT.join(' and '))}

| in flight | store loops/s | raw node:sqlite loops/s (same rows, in-flight-sized transactions) | ratio | p50 capture | p99 capture | raw: p99 of one transaction | targets |
|---:|---:|---:|---:|---:|---:|---:|---|
${rowsMd.join('\n')}
`;
  writeResults('sqlite-store', results, md);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

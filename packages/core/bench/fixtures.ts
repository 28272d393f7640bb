// What the capture benchmarks and the memory profile share: the directory, the segments, the
// detractor answers, a sink connector, and the raw node:sqlite writer they compare the store with.
import type { DatabaseSync } from 'node:sqlite';
import type { Connector, createClosedLoop, FeedbackInput, Store } from '@closedloop/core';
import type { EncodedStep } from '../src/stores/sqlite-writer.ts';
import type { StepWrite } from '../src/stores/store.ts';

export const people = [
  { id: 'ana', name: 'Ana', email: 'ana@example.com' },
  { id: 'bob', name: 'Bob', email: 'bob@example.com' },
];
export const segments = [
  { id: 'root', name: 'Root', managers: ['bob'] },
  { id: 'es', name: 'Spain', parent: 'root', managers: ['ana', 'bob'] },
  { id: 'it', name: 'Italy', parent: 'root', managers: ['bob'] },
];

/** `n` answers, every one a detractor: every loop opens a case and emits effects. */
export function detractorInputs(n: number): FeedbackInput[] {
  return Array.from({ length: n }, (_, i) => ({
    source: { tool: 'bench', responseId: `r${i}` },
    customer: { email: `c${i}@example.com`, name: `Customer ${i}`, segment: i % 2 ? 'es' : 'it' },
    nps: i % 7,
    comment: 'The parcel arrived late and the box was damaged.',
    language: 'es',
    touchpoint: 'delivery',
  }));
}

/**
 * Effects are committed to the outbox for this connector; the runner is not started, so the
 * benchmarks measure capture → committed, not delivery.
 */
export const sink: Connector = {
  name: 'sink',
  capabilities: ['notify', 'syncCase', 'alert', 'informCustomer'],
  deliver: async () => {},
};

/**
 * Inserts `steps` (rows as the SQLite store encodes them) into `db` (already migrated, its
 * PRAGMAs set) with plain prepared INSERTs, one transaction per `batch` steps, then closes it.
 */
export function writeRawSteps(db: DatabaseSync, steps: EncodedStep[], batch: number) {
  const ins = {
    loop: db.prepare(
      'INSERT INTO loops (loop_id, state, version, snapshot, updated_at, timers, next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    feedback: db.prepare(
      'INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    case: db.prepare(
      'INSERT INTO cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    delivery: db.prepare(
      'INSERT INTO deliveries (seq, id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
  let seq = 0;
  const transactions: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < steps.length; i += batch) {
    const begun = performance.now();
    db.exec('BEGIN');
    for (let j = i; j < Math.min(i + batch, steps.length); j++) {
      const s = steps[j]!;
      ins.loop.run(...s.loop);
      if (s.feedback) ins.feedback.run(...s.feedback);
      if (s.case) ins.case.run(...s.case);
      for (const d of s.deliveries) ins.delivery.run(++seq, ...d);
    }
    db.exec('COMMIT');
    transactions.push(performance.now() - begun);
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  transactions.sort((a, b) => a - b);
  return {
    loopsPerSecond: steps.length / seconds,
    /** Each transaction, BEGIN to COMMIT (fsync included): the floor of a capture's latency. */
    transactionP50ms: percentile(transactions, 50),
    transactionP99ms: percentile(transactions, 99),
  };
}

/**
 * Captures every input, `inFlight` at a time; resolves with each capture's latency in ms, in the
 * order they finished. Throws when a capture opens no case.
 */
export async function captureAll(
  loop: Pick<ReturnType<typeof createClosedLoop>, 'capture'>,
  inputs: readonly FeedbackInput[],
  inFlight: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  async function worker() {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      const s = performance.now();
      const r = await loop.capture(input);
      latencies.push(performance.now() - s);
      if (!r.case) throw new Error('expected a case');
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return latencies;
}

/** Records every step a store commits, to replay the same rows in the raw reference. */
export function recording(store: Store, steps: StepWrite[]): Store {
  return {
    ...store,
    commit(step) {
      steps.push(step);
      return store.commit(step);
    },
  };
}

/** The value at percentile `p` of `sorted` (ascending). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// Where the memory store's gap to the bare reference is (bench/README.md): CPU time per capture,
// one round after another, of
//   - bare: zod parse + xstate actor start and stop (the embedded benchmark's target reference),
//   - a capture into a store that keeps nothing (commit resolves, every loop is new): the whole
//     capture pipeline (parse, ids, decision, the DECIDED step, effects) without what a store keeps,
//   - a capture into the memory store, which keeps every loop, feedback, case and outbox row.
// A full GC before each round, so no round pays for the garbage of the one before.
//   node --expose-gc --trace-gc --conditions=@closedloop/source packages/core/bench/memory-gap.profile.ts
import {
  createClosedLoop,
  Directory,
  FeedbackInputSchema,
  memoryStore,
  SegmentTree,
  type Store,
} from '@closedloop/core';
import { createLoopMachine } from '@closedloop/core/machine';
import { createActor } from 'xstate';
import { detractorInputs, people, segments, sink } from './fixtures.ts';

const N = Number(process.env.N ?? 20_000);
const inputs = detractorInputs(N);

async function cpuPerCapture(run: () => Promise<void> | void): Promise<number> {
  globalThis.gc?.();
  const from = process.cpuUsage();
  await run();
  const used = process.cpuUsage(from);
  return (used.user + used.system) / N;
}

function bare() {
  const directory = new Directory(people);
  const machine = createLoopMachine({ directory, segments: new SegmentTree(segments, directory) });
  for (let i = 0; i < N; i++) {
    const parsed = FeedbackInputSchema.parse(inputs[i]);
    const feedback = { ...parsed, id: `f${i}`, receivedAt: new Date().toISOString() };
    createActor(machine, { input: { loopId: `l${i}`, caseId: `c${i}`, feedback } })
      .start()
      .stop();
  }
}

async function captures(store: Store) {
  const loop = createClosedLoop({ store, directory: people, segments, connectors: [sink], autoStart: false });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < N) await loop.capture(inputs[next++]!);
    }),
  );
  await loop.close();
}

/** Resolves every commit and keeps nothing: each capture finds no loop and starts one. */
function keepsNothing(): Store {
  return { ...memoryStore(), commit: async () => {}, getLoop: async () => undefined };
}

const f = (us: number) => `${us.toFixed(1)} µs`;
for (let round = 0; round < 5; round++) {
  const b = await cpuPerCapture(bare);
  const nothing = await cpuPerCapture(() => captures(keepsNothing()));
  const memory = await cpuPerCapture(() => captures(memoryStore()));
  process.stdout.write(
    `round ${round}: bare ${f(b)}; capture, store keeps nothing ${f(nothing)} (${Math.round((100 * b) / nothing)}% of bare's speed); memory store ${f(memory)} (${Math.round((100 * b) / memory)}%)\n`,
  );
}

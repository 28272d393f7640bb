// The workload behind the memory-store profile in bench/README.md: 3 rounds of 20,000 detractor
// captures, 16 in flight, each round into a fresh memory store (the embedded benchmark's inputs).
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@closedloop/source packages/core/bench/memory-capture.profile.ts
//   node bench/profile-top.ts /tmp/prof-before /tmp/prof-after   # the before/after table
import { createClosedLoop, memoryStore } from '@closedloop/core';
import { detractorInputs, people, segments, sink } from './fixtures.ts';

const N = Number(process.env.N ?? 20_000);
const inputs = detractorInputs(N);
for (let round = 0; round < 3; round++) {
  const loop = createClosedLoop({
    store: memoryStore(),
    directory: people,
    segments,
    connectors: [sink],
    autoStart: false,
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < N) await loop.capture(inputs[next++]!);
    }),
  );
  process.stdout.write(`round ${round}: ${Math.round(N / ((performance.now() - t0) / 1000))} loops/s\n`);
  await loop.close();
}

// Child process for the crash test: captures feedback into a SQLite store and acknowledges each
// capture on stdout; effects go to an HTTP receiver in the parent. The parent SIGKILLs it mid-run.
import { type Connector, createClosedLoop, DeliveryError, sqliteStore } from '@closedloop/core';
import { people, segments } from '../machine/fixtures.ts';

const [dbPath, receiverUrl, fromArg, toArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);

const receiver: Connector = {
  name: 'receiver',
  capabilities: ['notify', 'informCustomer', 'syncCase', 'alert'],
  async deliver(effect) {
    const res = await fetch(receiverUrl!, {
      method: 'POST',
      body: JSON.stringify({ key: effect.key }),
    }).catch((e: unknown) => {
      throw new DeliveryError(`receiver unreachable: ${String(e)}`, { retryable: true });
    });
    if (!res.ok) throw new DeliveryError(`receiver answered ${res.status}`, { retryable: true });
  },
};

const loop = createClosedLoop({
  store: sqliteStore({ path: dbPath! }),
  directory: people,
  segments,
  connectors: [receiver],
  delivery: { baseDelayMs: 20, maxDelayMs: 200 },
});

for (let i = from; i < to; i++) {
  await loop.capture({
    source: { tool: 'crash', responseId: `r${i}` },
    customer: { email: `c${i}@example.com`, segment: i % 2 ? 'spain' : 'italy' },
    nps: i % 11,
    comment: `answer ${i}`,
  });
  process.stdout.write(`ack r${i}\n`);
}
await loop.idle();
process.stdout.write('done\n');
await loop.close();

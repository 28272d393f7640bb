// Child process for the three-process test: the embedded runtime on a shared PostgreSQL schema,
// taking captures over HTTP (127.0.0.1) and reporting everything it sends to the parent's
// receiver, which does not dedupe. Arguments: pg url, schema, receiver url, clock base (ms),
// real base (ms), clock speed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Clock,
  type Connector,
  createClosedLoop,
  DeliveryError,
  Directory,
  defaultDecider,
  SegmentTree,
} from '@closedloop/core';
import { createAnalytics, scheduleReports } from '@closedloop/core/learn';
import { postgresStore } from '@closedloop/core/postgres';
import { people, segments } from '../machine/fixtures.ts';

const [url, schema, receiverUrl, baseArg, realBaseArg, speedArg] = process.argv.slice(2);
const base = Number(baseArg);
const realBase = Number(realBaseArg);
const speed = Number(speedArg);
const MAX = 2_147_483_647;
// Every process shares one timeline: the same base and speed.
const clock: Clock = {
  now: () => Math.floor(base + (Date.now() - realBase) * speed),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms / speed), MAX)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const post = async (body: unknown) => {
  const res = await fetch(receiverUrl!, {
    method: 'POST',
    body: JSON.stringify({ pid: process.pid, ...(body as object) }),
  });
  if (!res.ok) throw new DeliveryError(`receiver answered ${res.status}`, { retryable: true });
};

const hook = (name: string): Connector => ({
  name,
  capabilities: ['notify', 'alert', 'informCustomer', 'syncCase', 'sendResurvey'],
  async deliver(effect) {
    await post({ kind: 'delivery', id: `${effect.key}@${name}` }).catch((e: unknown) => {
      throw e instanceof DeliveryError ? e : new DeliveryError(String(e), { retryable: true });
    });
  },
});

const store = postgresStore({ connectionString: url!, schema: schema!, max: 6 });
const loop = createClosedLoop({
  store,
  directory: people,
  segments,
  connectors: [hook('hook-a'), hook('hook-b')],
  decider: defaultDecider({ firstResponseMinutes: 1, resolutionMinutes: 100_000 }),
  clock,
  delivery: { concurrency: 24, timeoutMs: 2_000, leaseMs: 5_000, baseDelayMs: 200, maxDelayMs: 1_000 },
  replica: { id: `child-${process.pid}`, pollMs: 150, timerLeaseMs: 6_000 },
  onError: (error, where) =>
    void post({
      kind: 'error',
      where,
      message: error instanceof Error ? error.message : String(error),
    }).catch(() => {}),
});
loop.on(
  'sla.breached',
  ({ case: c, kind }) =>
    void post({ kind: 'breach', id: `${c.id}:${kind}:${c.sla.breaches.at(-1)?.at}` }).catch(() => {}),
);

const analytics = createAnalytics(store.sql!, { segments: new SegmentTree(segments, new Directory(people)) });
scheduleReports({
  analytics,
  clock,
  audiences: { weekly: [{ name: 'Care', email: 'care@example.com' }] },
  documents: store.documents,
  owner: loop.replica().id,
  pollMs: 200,
  leaseMs: 2_500,
  deliver: ({ report }) => post({ kind: 'report', id: report.range.from }),
});

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => {
    loop.capture(JSON.parse(body)).then(
      (r) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ duplicate: r.duplicate }));
      },
      (e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void loop.close().then(() => process.exit(0));
});

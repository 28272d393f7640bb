// Three processes on one PostgreSQL store behave as one runtime (issue 17 §4): 1,000 detractor
// answers round-robin (a tenth given to two processes at once), one process SIGKILLed mid-run, a
// receiver that does not dedupe. Every (effect, connector) arrives once, except deliveries in
// flight in the killed process (counted and reported); every SLA timer fires once; one weekly
// report goes out.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, inject, test } from 'vitest';
import { Directory, SegmentTree } from '../domain/people.ts';
import { createAnalytics } from '../learn/analytics.ts';
import { people, segments } from '../machine/fixtures.ts';
import { postgresStore } from '../stores/postgres.ts';

const CHILD = fileURLToPath(new URL('./replica-child.fixture.ts', import.meta.url));
const url = inject('pgUrl');
const schema = `t_three_${process.pid}_${Date.now().toString(36)}`;
const ANSWERS = 1000;
const SPEED = 60; // one real second is one clock minute: the 1-minute SLA breaches a second after capture
const MONDAY_8 = Date.parse('2026-01-12T08:00:00Z');

interface Call {
  kind: 'delivery' | 'breach' | 'report' | 'error';
  id: string;
  pid: number;
  where?: string;
  message?: string;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function receiver() {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      calls.push(JSON.parse(body) as Call);
      res.end('ok');
    });
  });
  return new Promise<{ url: string; calls: Call[]; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

function startChild(
  receiverUrl: string,
  base: number,
  realBase: number,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@closedloop/source',
        '--no-warnings',
        CHILD,
        url,
        schema,
        receiverUrl,
        String(base),
        String(realBase),
        String(SPEED),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      const port = /listening (\d+)/.exec(d.toString())?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}/` });
    });
    child.once('exit', (code, signal) => reject(new Error(`child exited early (${code ?? signal}): ${err}`)));
  });
}

const answer = (i: number) => ({
  source: { tool: 'replicas', responseId: `r-${i}` },
  customer: { email: `c${i}@example.com`, segment: ['spain', 'italy', 'milan', 'americas'][i % 4] },
  nps: i % 7,
  comment: 'Late again',
});

test('three processes, one killed mid-run: each delivery once (bar the killed one’s in flight), each SLA timer once, one weekly report', async ({
  annotate,
}) => {
  const store = postgresStore({ connectionString: url, schema, max: 4 });
  const rx = await receiver();
  try {
    await store.init();
    await createAnalytics(store.sql!, {
      segments: new SegmentTree(segments, new Directory(people)),
    }).prepare();
    // The clock starts 30 s (half a real second) before the weekly run time; the schedule was
    // set up before that, so the Monday 08:00 period is owed whichever process comes up first.
    const base = MONDAY_8 - 30_000;
    await store.documents.put('job', 'report.weekly', { lastRunAt: base - 1 });
    const realBase = Date.now();
    const procs = await Promise.all([0, 1, 2].map(() => startChild(rx.url, base, realBase)));
    const alive = [...procs];
    const killed = procs[1]!;

    const send = async (i: number, offset: number): Promise<void> => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const target = alive[(i + offset + attempt) % alive.length]!;
        try {
          const res = await fetch(target.url, { method: 'POST', body: JSON.stringify(answer(i)) });
          if (res.ok) return;
        } catch {
          // The process died under the request: the load balancer tries another.
        }
      }
      throw new Error(`answer ${i} was not taken`);
    };
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= ANSWERS) return;
        if (i === ANSWERS / 2) {
          killed.child.kill('SIGKILL');
          alive.splice(alive.indexOf(killed), 1);
        }
        // A tenth of the answers reach two processes at once (a webhook redelivered).
        await Promise.all(i % 10 === 0 ? [send(i, 0), send(i, 1)] : [send(i, 0)]);
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));

    // Until every case breached its first-response SLA and the outbox is empty (bounded).
    const breached = async () =>
      Number(
        (
          await store.sql!.all(
            `SELECT count(*) AS n FROM "${schema}".cases WHERE (data->'sla'->'breaches')::text LIKE '%firstResponse%'`,
          )
        )[0]!.n,
      );
    const pending = async () =>
      Number(
        (
          await store.sql!.all(`SELECT count(*) AS n FROM "${schema}".deliveries WHERE status = 'pending'`)
        )[0]!.n,
      );
    const sent = Date.now();
    let settled = false;
    for (let i = 0; i < 300 && !settled; i++) {
      await new Promise((r) => setTimeout(r, 150));
      settled =
        (await breached()) === ANSWERS &&
        (await pending()) === 0 &&
        rx.calls.some((c) => c.kind === 'report');
    }
    const timing = `answers taken in ${sent - realBase} ms, settled ${Date.now() - sent} ms later`;
    expect(settled).toBe(true);
    // Graceful shutdown of the survivors (SIGTERM releases their leases).
    await Promise.all(
      alive.map(
        (p) =>
          new Promise<void>((resolve) => {
            p.child.once('exit', () => resolve());
            p.child.kill('SIGTERM');
          }),
      ),
    );

    const deliveries = await store.listDeliveries();
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    const calls = new Map<string, Call[]>();
    for (const c of rx.calls.filter((x) => x.kind === 'delivery'))
      calls.set(c.id, [...(calls.get(c.id) ?? []), c]);
    expect([...calls.keys()].filter((id) => !deliveries.some((d) => d.id === id))).toEqual([]);
    let twice = 0;
    for (const d of deliveries) {
      const got = calls.get(d.id) ?? [];
      if (got.length === 1) continue;
      // More than once only when the killed process had it in flight: it sent, then died
      // before recording it, and another process took the row when the lease ran out.
      expect({
        id: d.id,
        count: got.length,
        fromKilled: got.some((c) => c.pid === killed.child.pid),
      }).toEqual({
        id: d.id,
        count: 2,
        fromKilled: true,
      });
      twice++;
    }
    const cases = (await store.listCases({ limit: 5000 })).cases;
    expect(cases).toHaveLength(ANSWERS);
    // Every SLA timer fired once: no breach recorded twice for one due time (an escalation chain
    // re-arms the first-response timer, so later breaches have later times), none reported
    // twice, and no process lost a race for a timer (no conflict logged).
    for (const c of cases) {
      const keys = c.sla.breaches.map((b) => `${b.kind}@${b.at}`);
      expect(new Set(keys).size, c.id).toBe(keys.length);
      expect(
        keys.some((k) => k.startsWith('firstResponse@')),
        c.id,
      ).toBe(true);
    }
    const breaches = rx.calls.filter((c) => c.kind === 'breach').map((c) => c.id);
    expect(new Set(breaches).size).toBe(breaches.length);
    const errors = rx.calls.filter((c) => c.kind === 'error');
    expect(errors.filter((e) => /timer|CONFLICT|changed meanwhile/.test(`${e.where} ${e.message}`))).toEqual(
      [],
    );
    expect(rx.calls.filter((c) => c.kind === 'report').map((c) => c.id)).toEqual([
      '2026-01-05T00:00:00.000Z',
    ]);
    // Reported with the test result (vitest annotations), not on the console.
    await annotate(
      `three processes (${timing}): ${deliveries.length} deliveries, ${twice} delivered twice (in flight in the killed process), ` +
        `${breaches.length} breaches reported by the processes, none twice, ${errors.length} errors logged`,
    );
  } finally {
    await store.close();
    await rx.close();
  }
}, 90_000);

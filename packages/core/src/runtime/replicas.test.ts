// Several runtimes on one PostgreSQL store behave as one: each delivery goes out once, a slow
// connector is cut at its deadline (and its claim outlives it), a closing process hands its work on.
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { Connector } from '../connector.ts';
import { EFFECT_TYPES, type Effect } from '../domain/effect.ts';
import { people, segments } from '../machine/fixtures.ts';
import { memoryStore } from '../stores/memory.ts';
import { postgresStore } from '../stores/postgres.ts';
import type { Store } from '../stores/store.ts';
import { createClosedLoop, type EmbeddedClosedLoop } from './closed-loop.ts';
import { detractor } from './test-kit.ts';

const url = inject('pgUrl');
const runId = `${process.pid}_${Date.now().toString(36)}`;
let n = 0;
const open: EmbeddedClosedLoop[] = [];
afterAll(async () => {
  for (const l of open) await l.close();
});

/** A receiver that does not dedupe: counts every call per (effect key, connector). */
function counter(name: string) {
  const calls = new Map<string, number>();
  const connector: Connector = {
    name,
    capabilities: EFFECT_TYPES,
    async deliver(effect: Effect) {
      await new Promise((r) => setTimeout(r, 2));
      calls.set(effect.key, (calls.get(effect.key) ?? 0) + 1);
    },
  };
  return { connector, calls };
}

function runtime(
  store: Store,
  connectors: Connector[],
  id: string,
  extra: Partial<Parameters<typeof createClosedLoop>[0]> = {},
) {
  const loop = createClosedLoop({
    store,
    directory: people,
    segments,
    connectors,
    replica: { id, pollMs: 50 },
    onError: () => {},
    ...extra,
  });
  open.push(loop);
  return loop;
}

/** Polls `check` (bounded) until it holds. */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe('replicas on one PostgreSQL store', () => {
  test('three runtimes capturing round-robin deliver each effect once, through one receiver each', async () => {
    const schema = `t_rep_${runId}_${n++}`;
    const receiver = counter('hook');
    const loops = ['a', 'b', 'c'].map((id) =>
      runtime(
        postgresStore({ connectionString: url, schema, max: 4 }),
        [receiver.connector],
        `replica-${id}`,
      ),
    );
    await loops[0]!.store.init();
    for (let i = 0; i < 45; i++) await loops[i % 3]!.capture(detractor());
    const store = loops[0]!.store;
    await until(
      async () => (await store.listDeliveries({ status: 'pending' })).length === 0,
      'the outbox drains',
    );
    const all = await store.listDeliveries();
    expect(all.length).toBeGreaterThanOrEqual(45);
    expect(all.every((d) => d.status === 'delivered')).toBe(true);
    expect(receiver.calls.size).toBe(all.length);
    expect([...receiver.calls.values()].every((c) => c === 1)).toBe(true);
    for (const l of loops)
      expect(l.replica()).toMatchObject({ shared: true, leases: { deliveries: 0, timers: 0 } });
  });

  test('a delivery past its deadline is aborted and retried; it is not taken twice meanwhile', async () => {
    let calls = 0;
    const slow: Connector = {
      name: 'slow',
      capabilities: ['notify'],
      deliver: (_effect, ctx) =>
        new Promise((resolve, reject) => {
          calls++;
          if (calls > 1) return resolve();
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted by the deadline')));
        }),
    };
    const failures: string[] = [];
    const loop = runtime(memoryStore(), [slow], 'solo', {
      delivery: { timeoutMs: 100, baseDelayMs: 1, maxDelayMs: 1 },
    });
    loop.on('effect.failed', (e) => failures.push(e.error));
    await loop.capture(detractor());
    await until(
      async () => (await loop.store.listDeliveries({ status: 'delivered' })).length === 1,
      'the retry',
    );
    expect(failures).toEqual(['aborted by the deadline']);
    expect(calls).toBe(2);
  });

  test('a connector that ignores the abort still fails at the deadline and is retried', async () => {
    let calls = 0;
    const hung: Connector = {
      name: 'hung',
      capabilities: ['notify'],
      // The first call never settles, whatever the signal says (a CRM that hangs up on nobody).
      deliver: () => (++calls > 1 ? Promise.resolve() : new Promise(() => {})),
    };
    const failures: { error: string; willRetry: boolean }[] = [];
    const loop = runtime(memoryStore(), [hung], 'solo', {
      delivery: { timeoutMs: 100, baseDelayMs: 1, maxDelayMs: 1 },
    });
    loop.on('effect.failed', (e) => failures.push({ error: e.error, willRetry: e.willRetry }));
    await loop.capture(detractor());
    await until(
      async () => (await loop.store.listDeliveries({ status: 'delivered' })).length === 1,
      'the retry',
    );
    expect(failures).toEqual([{ error: 'hung did not finish within 100 ms', willRetry: true }]);
    expect(calls).toBe(2);
  });

  test('a closing process releases its claims at once, so another takes the work without waiting for the lease', async () => {
    const schema = `t_rep_${runId}_${n++}`;
    let release: () => void = () => {};
    const stuck: Connector = {
      name: 'hook',
      capabilities: ['notify'],
      deliver: (_e, ctx) =>
        new Promise((_resolve, reject) => {
          release = () => reject(new Error('shutting down'));
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const first = runtime(postgresStore({ connectionString: url, schema, max: 2 }), [stuck], 'first', {
      delivery: { timeoutMs: 60_000 },
    });
    await first.capture(detractor());
    await until(() => first.replica().leases.deliveries === 1, 'the first process claims the delivery');
    const closing = first.close();
    release();
    await closing;
    const receiver = counter('hook');
    const second = runtime(
      postgresStore({ connectionString: url, schema, max: 2 }),
      [receiver.connector],
      'second',
    );
    await until(() => receiver.calls.size === 1, 'the second process delivers it');
    expect(second.replica().id).toBe('second');
  });
});

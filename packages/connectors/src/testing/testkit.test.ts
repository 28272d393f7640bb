import { type Connector, DeliveryError, type Effect } from '@closedloop/core';
import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../ledger.ts';
import { sampleEffect } from './fixtures.ts';
import { runConnectorTestKit, type SimulatedFailure } from './testkit.ts';

// An in-memory "service" and connectors of varying quality, to check that the kit tells them apart.
function service() {
  const kept = new Map<string, number>();
  const seen = new Set<string>();
  let failure: SimulatedFailure | undefined;
  return {
    kept,
    received: (e: Effect) => kept.get(e.key) ?? 0,
    failNext: (f: SimulatedFailure) => {
      failure = f;
    },
    /** Keeps a request once per idempotency key, as a well-behaved API does; without a key, every time. */
    async accept(e: Effect, idempotencyKey?: string) {
      const f = failure;
      failure = undefined;
      if (f === 'transient') throw new DeliveryError('503', { retryable: true });
      if (f === 'permanent') throw new DeliveryError('400', { retryable: false });
      if (f === 'rateLimited') throw new DeliveryError('429', { retryable: true, retryAfterMs: 1500 });
      if (idempotencyKey && seen.has(idempotencyKey)) return;
      if (idempotencyKey) seen.add(idempotencyKey);
      kept.set(e.key, (kept.get(e.key) ?? 0) + 1);
    },
  };
}

function goodConnector(s: ReturnType<typeof service>): Connector {
  const ledger = new DeliveryLedger();
  return {
    name: 'good',
    capabilities: ['syncCase'],
    async deliver(e, ctx) {
      if (ctx.signal.aborted) throw new DeliveryError('aborted', { retryable: true });
      await ledger.once(e.key, () => s.accept(e, e.key));
    },
    async health() {
      return { ok: true };
    },
  };
}

const options = (s: ReturnType<typeof service>, create: () => Connector) => ({
  create,
  effects: [sampleEffect('syncCase')],
  received: s.received,
  failNext: s.failNext,
  retryAfterMs: 1500,
});

describe('connectorTestKit', () => {
  it('passes a connector that keeps the contract', async () => {
    const s = service();
    const results = await runConnectorTestKit(options(s, () => goodConnector(s)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBe(9);
  });

  it('catches a connector that sends the same effect twice', async () => {
    const s = service();
    const sloppy: Connector = { name: 'sloppy', capabilities: ['syncCase'], deliver: (e) => s.accept(e) };
    const failed = (await runConnectorTestKit(options(s, () => sloppy)))
      .filter((r) => !r.ok)
      .map((r) => r.name);
    expect(failed).toContain('delivers the same effect twice and the receiver keeps it once');
  });

  it('catches a connector that throws plain errors or calls every failure permanent', async () => {
    const s = service();
    const plain: Connector = {
      name: 'plain',
      capabilities: ['syncCase'],
      async deliver(e) {
        try {
          await s.accept(e);
        } catch (err) {
          throw new Error(`failed: ${(err as Error).message}`);
        }
      },
    };
    const failedPlain = (await runConnectorTestKit(options(s, () => plain))).filter((r) => !r.ok);
    expect(failedPlain.map((r) => r.error)).toContain(
      'transient failure: expected a DeliveryError, got Error: failed: 503',
    );
    const pessimist: Connector = {
      name: 'pessimist',
      capabilities: ['syncCase'],
      async deliver(e) {
        try {
          await s.accept(e);
        } catch (err) {
          throw new DeliveryError((err as Error).message, { retryable: false });
        }
      },
    };
    const failed = (await runConnectorTestKit(options(s, () => pessimist)))
      .filter((r) => !r.ok)
      .map((r) => r.name);
    expect(failed).toEqual(
      expect.arrayContaining([
        'a transient failure is a retryable DeliveryError, and the retry is kept once',
        'a rate limit is a retryable DeliveryError that says when to retry',
      ]),
    );
  });

  it('catches unknown capabilities and an unhealthy connector', async () => {
    const s = service();
    const odd = {
      ...goodConnector(s),
      capabilities: ['syncCase', 'fax'],
      health: async () => ({ ok: false, detail: 'no line' }),
    } as unknown as Connector;
    const failed = (await runConnectorTestKit(options(s, () => odd))).filter((r) => !r.ok);
    expect(failed.map((r) => r.error)).toEqual(
      expect.arrayContaining(['unknown capability fax', 'health against the test double: no line']),
    );
  });
});

import { type Connector, DeliveryError, EFFECT_TYPES, type Effect } from '@closedloop/core';
import { sampleEffects } from './fixtures.ts';

/** A way the test double can be told to fail the next delivery. */
export type SimulatedFailure = 'transient' | 'permanent' | 'rateLimited';

export interface ConnectorTestKitOptions {
  /** A fresh connector pointed at your test double (a local server). Called once per check. */
  create: () => Connector | Promise<Connector>;
  /**
   * Effects to deliver; default: `sampleEffects()` of the types the connector declares. The error
   * checks deliver the first one, so put first an effect your connector always sends.
   */
  effects?: readonly Effect[];
  /**
   * How many times the receiver kept this effect (after its own de-duplication, e.g. by
   * Message-ID or idempotency header). Turns on the idempotency checks.
   */
  received?: (effect: Effect) => number | Promise<number>;
  /** Make the test double fail the next delivery that way. Turns on the error checks. */
  failNext?: (failure: SimulatedFailure) => void | Promise<void>;
  /** The Retry-After the double sends on `rateLimited`, in ms (default: not checked). */
  retryAfterMs?: number;
}

export interface ConnectorCheck {
  name: string;
  run: () => Promise<void>;
}

let run = 0;

function uniqueKeys(effects: readonly Effect[], tag: string): Effect[] {
  run += 1;
  return effects.map((e) => ({ ...e, key: `${e.key}#${tag}-${run}` }));
}

/** Fails the check with exactly this message (node:assert would append a diff to it). */
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });

async function expectDeliveryError(p: Promise<void>, what: string): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    check(err instanceof DeliveryError, `${what}: expected a DeliveryError, got ${String(err)}`);
    return err;
  }
  throw new Error(`${what}: deliver resolved, expected it to throw a DeliveryError`);
}

/**
 * Checks any connector against the contract: declared capabilities, delivery of each effect it
 * declares, idempotency by `effect.key`, errors classified as retryable or permanent (with the
 * rate limit's delay), health and close. Framework-free; with vitest:
 *
 * @example
 * for (const check of connectorTestKit({ create: () => myConnector(url), received, failNext })) {
 *   it(check.name, check.run);
 * }
 */
export function connectorTestKit(options: ConnectorTestKitOptions): ConnectorCheck[] {
  const withConnector = async (fn: (c: Connector, effects: Effect[]) => Promise<void>, tag: string) => {
    const c = await options.create();
    try {
      const all = options.effects ?? sampleEffects();
      const effects = uniqueKeys(
        all.filter((e) => c.capabilities.includes(e.type)),
        tag,
      );
      await fn(c, effects);
    } finally {
      await c.close?.();
    }
  };
  const checks: ConnectorCheck[] = [
    {
      name: 'declares a name and the effect types it handles',
      run: () =>
        withConnector(async (c) => {
          check(typeof c.name === 'string', 'name must be a string');
          check(c.name.length > 0, 'name must not be empty');
          check(c.capabilities.length > 0, 'capabilities must not be empty');
          for (const t of c.capabilities) check(EFFECT_TYPES.includes(t), `unknown capability ${t}`);
        }, 'caps'),
    },
    {
      name: 'delivers every effect type it declares',
      run: () =>
        withConnector(async (c, effects) => {
          check(effects.length > 0, 'no effects to deliver: pass options.effects');
          for (const e of effects) await c.deliver(e, ctx());
          if (options.received) {
            for (const e of effects) check((await options.received(e)) <= 1, `${e.type} kept more than once`);
          }
        }, 'deliver'),
    },
    {
      name: 'fails an aborted delivery only with a retryable DeliveryError',
      run: () =>
        withConnector(async (c, effects) => {
          const ac = new AbortController();
          ac.abort();
          for (const e of effects) {
            try {
              await c.deliver(e, { attempt: 1, signal: ac.signal });
            } catch (err) {
              check(err instanceof DeliveryError && err.retryable, `aborted ${e.type}: ${String(err)}`);
            }
          }
        }, 'abort'),
    },
  ];
  if (options.received) {
    const received = options.received;
    checks.push(
      {
        name: 'delivers the same effect twice and the receiver keeps it once',
        run: () =>
          withConnector(async (c, effects) => {
            for (const e of effects) {
              await c.deliver(e, ctx(1));
              await c.deliver(e, ctx(2));
              await Promise.all([c.deliver(e, ctx(3)), c.deliver(e, ctx(3))]);
            }
            for (const e of effects) {
              const n = await received(e);
              // An alert for another channel is legitimately ignored: 0 is fine, 2 never is.
              check(n <= 1, `${e.type} ${e.key} was kept ${n} times`);
            }
          }, 'twice'),
      },
      {
        name: 'a new instance re-delivering after a crash is still kept once',
        run: async () => {
          const effects = uniqueKeys(options.effects ?? sampleEffects(), 'crash');
          for (let i = 0; i < 2; i++) {
            const c = await options.create();
            try {
              for (const e of effects) if (c.capabilities.includes(e.type)) await c.deliver(e, ctx(i + 1));
            } finally {
              await c.close?.();
            }
          }
          for (const e of effects) check((await received(e)) <= 1, `${e.type} kept more than once`);
        },
      },
    );
  }
  if (options.failNext) {
    const failNext = options.failNext;
    checks.push(
      {
        name: 'a transient failure is a retryable DeliveryError, and the retry is kept once',
        run: () =>
          withConnector(async (c, effects) => {
            const e = effects[0];
            check(e, 'no effect to deliver');
            await failNext('transient');
            const err = await expectDeliveryError(c.deliver(e, ctx(1)), 'transient failure');
            check(err.retryable, `transient failure should be retryable: ${err.message}`);
            await c.deliver(e, ctx(2));
            if (options.received) {
              const n = await options.received(e);
              check(
                n === 1,
                `after a transient failure and a retry the receiver kept the effect ${n} times, not once`,
              );
            }
          }, 'transient'),
      },
      {
        name: 'a permanent failure is a non-retryable DeliveryError',
        run: () =>
          withConnector(async (c, effects) => {
            const e = effects[0];
            check(e, 'no effect to deliver');
            await failNext('permanent');
            const err = await expectDeliveryError(c.deliver(e, ctx(1)), 'permanent failure');
            check(!err.retryable, `permanent failure should not be retryable: ${err.message}`);
          }, 'permanent'),
      },
      {
        name: 'a rate limit is a retryable DeliveryError that says when to retry',
        run: () =>
          withConnector(async (c, effects) => {
            const e = effects[0];
            check(e, 'no effect to deliver');
            await failNext('rateLimited');
            const err = await expectDeliveryError(c.deliver(e, ctx(1)), 'rate limit');
            check(err.retryable, `a rate limit should be retryable: ${err.message}`);
            if (options.retryAfterMs !== undefined) {
              check(
                err.retryAfterMs === options.retryAfterMs,
                `retryAfterMs should be ${options.retryAfterMs} (the Retry-After sent), got ${err.retryAfterMs}`,
              );
            }
          }, 'ratelimit'),
      },
    );
  }
  checks.push({
    name: 'reports health and closes cleanly, twice',
    run: async () => {
      const c = await options.create();
      if (c.health) {
        const h = await c.health();
        check(typeof h.ok === 'boolean', 'health() must resolve to { ok: boolean }');
        check(h.ok, `health against the test double: ${h.detail ?? ''}`);
      }
      await c.close?.();
      await c.close?.();
    },
  });
  return checks;
}

/** Runs every check of `connectorTestKit` and lists what passed and what failed, with why. */
export async function runConnectorTestKit(
  options: ConnectorTestKitOptions,
): Promise<{ name: string; ok: boolean; error?: string }[]> {
  const results: { name: string; ok: boolean; error?: string }[] = [];
  for (const check of connectorTestKit(options)) {
    try {
      await check.run();
      results.push({ name: check.name, ok: true });
    } catch (err) {
      results.push({ name: check.name, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

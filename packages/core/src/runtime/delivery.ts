import { type Connector, DeliveryError } from '../connector.ts';
import type { Effect } from '../domain/effect.ts';
import { redactAddresses } from '../domain/redact-addresses.ts';
import type { Delivery, Store } from '../stores/store.ts';
import type { Clock } from './clock.ts';

export interface DeliveryOptions {
  /** Attempts before a delivery is given up (status `dead`). Default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to `maxDelayMs`. Default 1 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Deliveries in flight at once. Default 8. */
  concurrency?: number;
  /**
   * How long one delivery may take: the connector's abort signal fires after it (a retryable
   * failure). Default 30 s. A claim on the delivery lasts longer than this (see `leaseMs`).
   */
  timeoutMs?: number;
  /** How long a process's claim on a delivery lasts: default `timeoutMs` + 30 s. */
  leaseMs?: number;
}

export interface DeliveryHooks {
  delivered(d: Delivery, attempts: number): void;
  failed(d: Delivery, attempts: number, error: string, willRetry: boolean, reason?: string): void;
  /** Why a row must not be delivered (do-not-contact, no consent), checked just before sending. */
  screen?(d: Delivery): Promise<string | undefined>;
  /** A screened row was not sent (it is `dead`, `lastError` says why). */
  suppressed?(d: Delivery, reason: string): void;
}

/** Outbox rows for one step's effects: one per (effect, connector able to deliver it). */
export function deliveriesFor(
  effects: readonly Effect[],
  connectors: readonly Connector[],
  now: number,
): Delivery[] {
  const out: Delivery[] = [];
  for (const effect of effects) {
    for (const c of connectors) {
      if (!c.capabilities.includes(effect.type)) continue;
      out.push({
        id: `${effect.key}@${c.name}`,
        connector: c.name,
        effect,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
      });
    }
  }
  return out;
}

/**
 * Hands one effect to one connector with a deadline: the connector's signal aborts after
 * `timeoutMs`, and a connector that has not stopped by then fails all the same (retryable), so a
 * hung receiver never holds a delivery slot. `signal` is the runtime's own (shutdown).
 */
export async function deliverWithin(
  connector: Connector,
  effect: Effect,
  ctx: { attempt: number; signal: AbortSignal },
  timeoutMs: number,
): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, deadline]);
  let onAbort = () => {};
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      const why = deadline.aborted ? `did not finish within ${timeoutMs} ms` : 'was stopped (shutdown)';
      // A connector that settles on the abort itself does so first: its own error stands.
      setImmediate(() =>
        reject(new DeliveryError(`${connector.name} ${why}`, { retryable: true, reason: why })),
      );
    };
  });
  stopped.catch(() => {});
  const delivering = connector.deliver(effect, { attempt: ctx.attempt, signal });
  // Settling after the deadline lost the race: nothing to report.
  delivering.catch(() => {});
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([delivering, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Delivers the outbox: due rows through their connector, retrying retryable failures with
 * exponential backoff (or the connector's Retry-After), giving up on permanent ones.
 * At least once: a crash between delivery and bookkeeping redelivers, so connectors dedupe by key.
 */
export class EffectRunner {
  readonly #owner: string;
  /** Claims held now (deliveries in flight). */
  #held = 0;
  readonly #store: Store;
  readonly #connectors: Map<string, Connector>;
  readonly #clock: Clock;
  readonly #hooks: DeliveryHooks;
  readonly #opts: Required<DeliveryOptions>;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #again = false;
  #timer: unknown;
  #stopped = false;

  constructor(
    store: Store,
    connectors: readonly Connector[],
    clock: Clock,
    hooks: DeliveryHooks,
    options: DeliveryOptions = {},
    owner = 'local',
  ) {
    this.#owner = owner;
    this.#store = store;
    this.#connectors = new Map(connectors.map((c) => [c.name, c]));
    this.#clock = clock;
    this.#hooks = hooks;
    const timeoutMs = options.timeoutMs ?? 30_000;
    // The claim outlives the connector's own deadline, so a slow delivery is never taken twice.
    const leaseMs = Math.max(options.leaseMs ?? timeoutMs + 30_000, timeoutMs + 1_000);
    this.#opts = {
      maxAttempts: 8,
      baseDelayMs: 1000,
      maxDelayMs: 300_000,
      concurrency: 8,
      ...options,
      timeoutMs,
      leaseMs,
    };
  }

  /** Deliveries this process holds a claim on now. */
  get held(): number {
    return this.#held;
  }

  /** Looks for due deliveries now (called after every commit). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else void this.#scheduleNext();
    });
  }

  /** Resolves when nothing is in flight. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops taking work, lets deliveries in flight finish, then releases whatever it still holds. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.idle();
    this.#abort.abort();
    await this.#store.releaseClaims(this.#owner).catch(() => {});
  }

  async #scheduleNext(): Promise<void> {
    if (this.#stopped) return;
    const next = await this.#store.nextDeliveryAt().catch(() => undefined);
    if (next === undefined || this.#stopped) return;
    // Due, yet nothing was claimable: another process holds it. On a shared store the runtime's
    // poll comes back for it; do not spin.
    if (this.#store.shared && next <= this.#clock.now()) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, next - this.#clock.now());
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      // Claim only what goes out now, so each claim's lease covers its own delivery.
      const wall = Date.now();
      const due = await this.#store.claimDeliveries(this.#clock.now(), this.#opts.concurrency, {
        owner: this.#owner,
        now: wall,
        until: wall + this.#opts.leaseMs,
      });
      if (due.length === 0) return;
      this.#held += due.length;
      await Promise.all(
        due.map((d) =>
          this.#deliver(d).finally(() => {
            this.#held--;
          }),
        ),
      );
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    const attempts = d.attempts + 1;
    const connector = this.#connectors.get(d.connector);
    const refusal = await this.#hooks.screen?.(d);
    if (refusal !== undefined) {
      await this.#store.updateDelivery({
        id: d.id,
        status: 'dead',
        attempts,
        lastError: `suppressed: ${refusal}`,
      });
      this.#hooks.suppressed?.(d, refusal);
      return;
    }
    try {
      if (!connector) {
        throw new DeliveryError(`connector "${d.connector}" is not configured in this runtime`, {
          retryable: false,
          reason: `connector "${d.connector}" is not configured`,
        });
      }
      // The runtime's abort (shutdown) and this delivery's own deadline.
      await deliverWithin(
        connector,
        d.effect,
        { attempt: attempts, signal: this.#abort.signal },
        this.#opts.timeoutMs,
      );
    } catch (e) {
      const retryable = !(e instanceof DeliveryError) || e.retryable;
      // Stored on the outbox row and emitted: without the recipient's address.
      const error = redactAddresses(e instanceof Error ? e.message : String(e));
      const willRetry = retryable && attempts < this.#opts.maxAttempts && !this.#stopped;
      if (willRetry) {
        const backoff = Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (attempts - 1));
        const jittered = backoff * (0.8 + Math.random() * 0.4);
        const wait = Math.max(jittered, e instanceof DeliveryError ? (e.retryAfterMs ?? 0) : 0);
        await this.#store.updateDelivery({
          id: d.id,
          status: 'pending',
          attempts,
          nextAttemptAt: Math.ceil(this.#clock.now() + wait),
          lastError: error,
        });
      } else if (!this.#stopped || !retryable) {
        await this.#store.updateDelivery({ id: d.id, status: 'dead', attempts, lastError: error });
      }
      const reason = e instanceof DeliveryError ? e.reason : undefined;
      this.#hooks.failed(d, attempts, error, willRetry, reason);
      return;
    }
    await this.#store.updateDelivery({ id: d.id, status: 'delivered', attempts });
    this.#hooks.delivered(d, attempts);
  }
}

import { type Connector, DeliveryError } from '../connector.ts';
import type { Effect } from '../domain/effect.ts';
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
}

export interface DeliveryHooks {
  delivered(d: Delivery, attempts: number): void;
  failed(d: Delivery, attempts: number, error: string, willRetry: boolean, reason?: string): void;
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
 * Delivers the outbox: due rows through their connector, retrying retryable failures with
 * exponential backoff (or the connector's Retry-After), giving up on permanent ones.
 * At least once: a crash between delivery and bookkeeping redelivers, so connectors dedupe by key.
 */
export class EffectRunner {
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
  ) {
    this.#store = store;
    this.#connectors = new Map(connectors.map((c) => [c.name, c]));
    this.#clock = clock;
    this.#hooks = hooks;
    this.#opts = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000, concurrency: 8, ...options };
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

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.idle();
    this.#abort.abort();
  }

  async #scheduleNext(): Promise<void> {
    if (this.#stopped) return;
    const next = await this.#store.nextDeliveryAt().catch(() => undefined);
    if (next === undefined || this.#stopped) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, next - this.#clock.now());
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const due = await this.#store.dueDeliveries(this.#clock.now(), this.#opts.concurrency * 4);
      if (due.length === 0) return;
      for (let i = 0; i < due.length; i += this.#opts.concurrency) {
        await Promise.all(due.slice(i, i + this.#opts.concurrency).map((d) => this.#deliver(d)));
      }
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    const attempts = d.attempts + 1;
    const connector = this.#connectors.get(d.connector);
    try {
      if (!connector) {
        throw new DeliveryError(`connector "${d.connector}" is not configured in this runtime`, {
          retryable: false,
          reason: `connector "${d.connector}" is not configured`,
        });
      }
      await connector.deliver(d.effect, { attempt: attempts, signal: this.#abort.signal });
    } catch (e) {
      const retryable = !(e instanceof DeliveryError) || e.retryable;
      const error = e instanceof Error ? e.message : String(e);
      const willRetry = retryable && attempts < this.#opts.maxAttempts && !this.#stopped;
      if (willRetry) {
        const backoff = Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (attempts - 1));
        const jittered = backoff * (0.8 + Math.random() * 0.4);
        const wait = Math.max(jittered, e instanceof DeliveryError ? (e.retryAfterMs ?? 0) : 0);
        await this.#store.updateDelivery({
          id: d.id,
          status: 'pending',
          attempts,
          nextAttemptAt: this.#clock.now() + wait,
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

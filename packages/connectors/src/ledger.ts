/**
 * Remembers which effect keys this process already delivered (bounded, oldest forgotten first)
 * and joins concurrent deliveries of the same key, so a retry or a duplicate hand-off in one
 * process sends once. Across processes, each connector adds the receiver's own de-duplication
 * (Message-ID, idempotency header, external id).
 */
export class DeliveryLedger {
  readonly #done = new Set<string>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  has(key: string): boolean {
    return this.#done.has(key);
  }

  /** Runs `send` unless `key` was delivered or is being delivered (then waits for that one). */
  async once(key: string, send: () => Promise<void>): Promise<void> {
    if (this.#done.has(key)) return;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const p = (async () => {
      try {
        await send();
        this.#done.add(key);
        if (this.#done.size > this.#max) {
          const oldest = this.#done.values().next().value;
          if (oldest !== undefined) this.#done.delete(oldest);
        }
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, p);
    return p;
  }
}

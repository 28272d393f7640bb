import type { TimerName } from '../machine/types.ts';
import type { Store } from '../stores/store.ts';
import type { Clock } from './clock.ts';

export type FireTimer = (t: { loopId: string; name: TimerName; dueAt: number }) => Promise<void>;

/** How long a process's claim on a due timer lasts (wall clock): far longer than one step. */
const TIMER_LEASE_MS = 60_000;
/** After a run that could claim nothing due (held elsewhere, or failing), look again after this. */
const RETRY_MS = 1_000;

/**
 * Turns stored due times into wake-ups; overdue timers (after a restart) fire at once. Each due
 * timer is claimed before it fires, so on a shared store one process fires it and the others
 * never race for it; a process that dies holding a claim loses it when its lease ends.
 */
export class TimerRunner {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #fire: FireTimer;
  readonly #onError: (e: unknown, where: string) => void;
  readonly #owner: string;
  readonly #leaseMs: number;
  #handle: unknown;
  #retry: NodeJS.Timeout | undefined;
  #scheduledFor: number | undefined;
  #stopped = false;
  #firing: Promise<number> | undefined;
  #lastRunClaimed = 1;
  #held = 0;

  constructor(
    store: Store,
    clock: Clock,
    fire: FireTimer,
    onError: (e: unknown, where: string) => void,
    owner = 'local',
    leaseMs = TIMER_LEASE_MS,
  ) {
    this.#leaseMs = leaseMs;
    this.#store = store;
    this.#clock = clock;
    this.#fire = fire;
    this.#onError = onError;
    this.#owner = owner;
  }

  /** Timers this process holds a claim on now (firing). */
  get held(): number {
    return this.#held;
  }

  reschedule(): void {
    if (this.#stopped) return;
    void this.#store
      .nextTimerDueAt()
      .then((next) => {
        if (next === undefined || this.#stopped) return;
        if (next <= this.#clock.now() && this.#lastRunClaimed === 0) {
          // Due but not ours to fire (claimed elsewhere, or its step failed): on a shared store
          // the runtime's poll comes back; alone, look again in a while rather than spin.
          if (this.#store.shared || this.#retry) return;
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            void this.fireDue().then(() => this.reschedule());
          }, RETRY_MS);
          this.#retry.unref();
          return;
        }
        if (this.#scheduledFor !== undefined && this.#scheduledFor <= next) return;
        if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
        this.#scheduledFor = next;
        this.#handle = this.#clock.setTimeout(() => {
          this.#handle = undefined;
          this.#scheduledFor = undefined;
          void this.fireDue().then(() => this.reschedule());
        }, next - this.#clock.now());
      })
      .catch((e) => this.#onError(e, 'timer scheduling'));
  }

  fireDue(): Promise<number> {
    if (!this.#firing) {
      this.#firing = this.#run()
        .catch((e: unknown) => {
          this.#onError(e, 'timer claim');
          return 0;
        })
        .finally(() => {
          this.#firing = undefined;
        });
    }
    return this.#firing;
  }

  async #run(): Promise<number> {
    let fired = 0;
    // Bounded: a timer whose step failed stays claimed until its lease ends, so it is not
    // claimed again in this run.
    for (;;) {
      if (this.#stopped) break;
      const wall = Date.now();
      // A small batch, fired one by one: its claims must outlast the batch.
      const due = await this.#store.claimTimers(this.#clock.now(), 16, {
        owner: this.#owner,
        now: wall,
        until: wall + this.#leaseMs,
      });
      if (due.length === 0) break;
      this.#held += due.length;
      for (const t of due) {
        try {
          if (!this.#stopped) await this.#fire(t);
        } catch (e) {
          this.#onError(e, `timer ${t.name}`);
        } finally {
          this.#held--;
        }
        fired++;
      }
    }
    this.#lastRunClaimed = fired;
    return fired;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    if (this.#retry) clearTimeout(this.#retry);
  }

  /** Resolves when no timer is firing. */
  async idle(): Promise<void> {
    while (this.#firing) await this.#firing;
  }
}

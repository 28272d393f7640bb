import type { TimerName } from '../machine/types.ts';
import type { Store } from '../stores/store.ts';
import type { Clock } from './clock.ts';

export type FireTimer = (t: { loopId: string; name: TimerName; dueAt: number }) => Promise<void>;

/** Turns stored due times into wake-ups; overdue timers (after a restart) fire at once. */
export class TimerRunner {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #fire: FireTimer;
  readonly #onError: (e: unknown, where: string) => void;
  #handle: unknown;
  #scheduledFor: number | undefined;
  #stopped = false;
  #firing: Promise<number> | undefined;

  constructor(store: Store, clock: Clock, fire: FireTimer, onError: (e: unknown, where: string) => void) {
    this.#store = store;
    this.#clock = clock;
    this.#fire = fire;
    this.#onError = onError;
  }

  reschedule(): void {
    if (this.#stopped) return;
    void this.#store
      .nextTimerDueAt()
      .then((next) => {
        if (next === undefined || this.#stopped) return;
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
      this.#firing = this.#run().finally(() => {
        this.#firing = undefined;
      });
    }
    return this.#firing;
  }

  async #run(): Promise<number> {
    let fired = 0;
    // A timer whose step failed is tried once per run, so a failing store cannot spin this loop.
    const attempted = new Set<string>();
    for (;;) {
      if (this.#stopped) return fired;
      const due = (await this.#store.dueTimers(this.#clock.now(), 100 + attempted.size)).filter(
        (t) => !attempted.has(`${t.loopId}/${t.name}/${t.dueAt}`),
      );
      if (due.length === 0) return fired;
      for (const t of due) {
        attempted.add(`${t.loopId}/${t.name}/${t.dueAt}`);
        try {
          await this.#fire(t);
        } catch (e) {
          this.#onError(e, `timer ${t.name}`);
        }
        fired++;
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
  }
}

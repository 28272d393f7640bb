/** Time as the runtime sees it. Timer delays are in clock milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const MAX_DELAY = 2_147_483_647;

/** Real time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_DELAY)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * A clock that runs `speed` times faster than real time from `start`, e.g. for a demo where an
 * hour-long SLA breaches in a second.
 *
 * @example
 * createClosedLoop({ clock: scaledClock({ speed: 3600 }), ... }) // one real second = one hour
 */
export function scaledClock(options: { speed: number; start?: number }): Clock {
  const realStart = Date.now();
  const start = options.start ?? realStart;
  return {
    now: () => start + (Date.now() - realStart) * options.speed,
    setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms / options.speed), MAX_DELAY)),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** A clock that moves only when told to: for tests. `advance` runs what falls due, in order. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): Promise<void>;
}

export function manualClock(start = Date.parse('2026-01-05T08:00:00Z')): ManualClock {
  let now = start;
  let nextId = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++nextId;
      pending.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    set(ms) {
      now = ms;
    },
    async advance(ms) {
      const target = now + ms;
      for (;;) {
        await settle();
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

import type { Lease, TimerRow } from './store.ts';

/**
 * Claims kept in the store object itself, for the single-process stores (memory, SQLite): the
 * same claim semantics as PostgreSQL's lease columns without a column, since one process holds
 * the data.
 */
export class LeaseBook {
  readonly #held = new Map<string, { owner: string; until: number }>();

  /** Claims `key` when nobody holds a live lease on it. */
  take(key: string, lease: Lease): boolean {
    const current = this.#held.get(key);
    if (current && current.until > lease.now) return false;
    this.#held.set(key, { owner: lease.owner, until: lease.until });
    return true;
  }

  release(key: string): void {
    this.#held.delete(key);
  }

  /** How many claims are held now (by any owner). */
  get size(): number {
    return this.#held.size;
  }

  /** Drops claims on keys that start with `prefix` and are not in `keep`. */
  keepOnly(prefix: string, keep: ReadonlySet<string>): void {
    for (const key of this.#held.keys()) if (key.startsWith(prefix) && !keep.has(key)) this.#held.delete(key);
  }

  releaseOwner(owner: string): void {
    for (const [key, v] of this.#held) if (v.owner === owner) this.#held.delete(key);
  }
}

/** A timer's claim key: a timer moved to another due time is a new timer, unclaimed. */
export const timerKey = (t: TimerRow): string => `${t.loopId}\u0000${t.name}\u0000${t.dueAt}`;
export const timerPrefix = (loopId: string): string => `${loopId}\u0000`;

/** The due rows a claim takes, in order, up to `limit`. */
export function claimFrom<T>(
  due: readonly T[],
  limit: number,
  key: (row: T) => string,
  book: LeaseBook,
  lease: Lease,
): T[] {
  const out: T[] = [];
  for (const row of due) {
    if (out.length >= limit) break;
    if (book.take(key(row), lease)) out.push(row);
  }
  return out;
}

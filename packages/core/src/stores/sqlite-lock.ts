// SQLite is single-process: one file, one closedloop process. A lock file beside the database
// (`<file>.lock`, holding the owner's pid and host) makes a second process fail at open with a
// clear error, instead of two writers silently sharing one file. A lock left by a process that
// died (its pid no longer runs on this host) is taken over.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ClosedLoopError } from '../errors.ts';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host, since: String(v.since ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on a SQLite database for this process; returns the function that releases it.
 * Throws a `STORE` error naming the process that holds it.
 */
export function lockSqliteFile(dbPath: string): () => void {
  const lockPath = `${dbPath}.lock`;
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const tmp = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // Atomic: fails when the lock file exists, so two processes starting at once cannot both win.
        linkSync(tmp, lockPath);
        return release(lockPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(lockPath);
      if (owner && owner.host === me.host && owner.pid === me.pid) return release(lockPath, false);
      if (owner && (owner.host !== me.host || alive(owner.pid))) {
        throw new ClosedLoopError(
          'STORE',
          `The SQLite database "${dbPath}" is in use by another process (pid ${owner.pid} on ${owner.host}, since ${owner.since}). ` +
            'SQLite is for one process: stop that process, or use PostgreSQL (store.postgres) to run several. ' +
            `If no such process runs, delete ${lockPath}.`,
          { details: { pid: owner.pid, host: owner.host } },
        );
      }
      // Left by a process that is gone (or unreadable): take it over.
      try {
        unlinkSync(lockPath);
      } catch {}
    }
    throw new ClosedLoopError('STORE', `Cannot take the lock ${lockPath} on the SQLite database "${dbPath}"`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {}
  }
}

function release(lockPath: string, owned = true): () => void {
  let done = !owned;
  return () => {
    if (done) return;
    done = true;
    if (readOwner(lockPath)?.pid === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch {}
    }
  };
}

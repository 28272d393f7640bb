import type { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClosedLoopError } from '../errors.ts';

/**
 * Leaves no erased bytes in a SQLite file or its WAL: the WAL is checkpointed into the file and
 * truncated to zero, `VACUUM` rebuilds the file from the live rows only (free pages and the old
 * copies of updated rows go), and the WAL it wrote is checkpointed and truncated again. Costs a
 * full rewrite of the database (seconds per GB) and blocks writers meanwhile.
 */
export async function scrubSqliteFile(db: DatabaseSync): Promise<void> {
  db.exec('PRAGMA secure_delete = ON');
  await truncateWal(db);
  db.exec('VACUUM');
  await truncateWal(db);
}

async function truncateWal(db: DatabaseSync): Promise<void> {
  // A reader on an older snapshot (the writer thread between batches) makes the checkpoint
  // report busy: try again, a bounded number of times.
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number } | undefined;
    if (!r || Number(r.busy) === 0) return;
    await sleep(10);
  }
  throw new ClosedLoopError(
    'STORE',
    'The customer was erased, but the SQLite WAL could not be truncated (the database stayed busy): erase again to finish scrubbing the file',
  );
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sqliteStore } from '../stores/sqlite.ts';
import { describeAnalytics } from './analytics.suite.ts';
import { sqliteExecutor } from './executor.ts';
import { ROLLUP_TABLES } from './rollups.ts';

describeAnalytics('SQLite', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'learn-')), 'closedloop.sqlite');
  const store = sqliteStore({ path, synchronous: 'NORMAL' });
  await store.init();
  const db = new DatabaseSync(path);
  return {
    store,
    executor: sqliteExecutor(db),
    async clear() {
      db.exec('DELETE FROM feedback; DELETE FROM cases; DELETE FROM loops;');
      for (const t of ROLLUP_TABLES) db.exec(`DELETE FROM ${t}`);
    },
    async close() {
      await store.close();
      db.close();
    },
  };
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect, it } from 'vitest';
import { sqliteStore } from '../stores/sqlite.ts';
import { ANSWERS, load, segments } from './analytics.suite.ts';
import { createAnalytics } from './analytics.ts';
import { sqliteExecutor } from './executor.ts';
import { createRowScanAnalytics } from './figures.ts';
import { ROLLUP_TABLES } from './rollups.ts';

it('a store from before rollups gets them filled from its rows when it is opened', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'rollups-migration-')), 'closedloop.sqlite');
  const store = sqliteStore({ path, synchronous: 'NORMAL' });
  await store.init();
  await load(store, ANSWERS);
  await store.close();
  // Back to the release before: no rollup tables, triggers or step 4.
  const db = new DatabaseSync(path);
  for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all())
    db.exec(`DROP TRIGGER ${String(t.name)}`);
  for (const t of ROLLUP_TABLES) db.exec(`DROP TABLE ${t}`);
  db.exec('DELETE FROM schema_migrations WHERE version = 4');
  db.close();

  const reopened = sqliteStore({ path, synchronous: 'NORMAL' });
  await reopened.init();
  await reopened.close();
  const conn = new DatabaseSync(path);
  try {
    const rollups = createAnalytics(sqliteExecutor(conn), { segments });
    const rows = createRowScanAnalytics(sqliteExecutor(conn), { segments });
    const q = { period: 'week' as const, by: 'segment' as const };
    expect((await rollups.nps(q)).length).toBeGreaterThan(0);
    expect(await rollups.nps(q)).toEqual(await rows.nps(q));
    expect(await rollups.recovery(q)).toEqual(await rows.recovery(q));
    expect(await rollups.slaBreachRate(q)).toEqual(await rows.slaBreachRate(q));
    expect(await rollups.rootCauses({})).toEqual(await rows.rootCauses({}));
    expect(await rollups.topicTrends(q)).toEqual(await rows.topicTrends(q));
  } finally {
    conn.close();
  }
});

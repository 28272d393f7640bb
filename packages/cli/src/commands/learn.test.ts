import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sqliteStore } from '@closedloop/core';
import { createAnalytics, ROLLUP_TABLES, sqliteExecutor } from '@closedloop/core/learn';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, load, segments, WEEK } from '../../../core/src/learn/analytics.suite.ts';
import { registerLearnCommands } from './learn.ts';
import type { ReportIo } from './report.ts';

let db: string;
beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'learn-cli-')), 'closedloop.sqlite');
  const store = sqliteStore({ path: db, synchronous: 'NORMAL' });
  await store.init();
  await load(store, ANSWERS);
  await store.close();
});

afterEach(() => {
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ err: string; exitCode: number | undefined }> {
  let err = '';
  const io: ReportIo = {
    out: () => {},
    err: (t) => {
      err += t;
    },
  };
  const program = new Command('closedloop').exitOverride();
  registerLearnCommands(program, io);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'closedloop', 'learn', 'rebuild', ...args]);
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip colours for assertions
  return { err: err.replace(/\u001b\[[0-9;]*m/g, ''), exitCode };
}

/** The week's NPS and SLA figures, read the way reports read them. */
async function weekFigures() {
  const conn = new DatabaseSync(db);
  try {
    const analytics = createAnalytics(sqliteExecutor(conn), { segments });
    return { nps: await analytics.nps(WEEK), sla: await analytics.slaBreachRate(WEEK) };
  } finally {
    conn.close();
  }
}

describe('closedloop learn rebuild', () => {
  it('recomputes lost rollups from the rows, the same again when run twice', async () => {
    const before = await weekFigures();
    expect(before.nps[0]?.responses).toBe(7);
    const conn = new DatabaseSync(db);
    for (const t of ROLLUP_TABLES) conn.exec(`DELETE FROM ${t}`);
    conn.close();
    expect((await weekFigures()).nps).toEqual([]);

    const first = await run('--db', db);
    expect(first.exitCode).toBeUndefined();
    // The fixture spans 2025-12-31 to 2026-01-13.
    expect(first.err).toMatch(/rollups rebuilt: 14 days in [\d.]+ s/);
    expect(await weekFigures()).toEqual(before);
    expect((await run('--db', db)).exitCode).toBeUndefined();
    expect(await weekFigures()).toEqual(before);
  });

  it('rebuilds only the days asked for (--to included)', async () => {
    const r = await run('--db', db, '--from', '2026-01-05', '--to', '2026-01-11');
    expect(r.err).toMatch(/rollups rebuilt: 7 days/);
  });

  it('refuses a bad date and a store without rollups, saying what to do', async () => {
    const bad = await run('--db', db, '--from', '5 Jan');
    expect(bad.exitCode).toBe(1);
    expect(bad.err).toContain('--from "5 Jan" is not a date: use a UTC day such as 2026-01-15');
    const bare = join(mkdtempSync(join(tmpdir(), 'learn-cli-')), 'old.sqlite');
    new DatabaseSync(bare).close();
    const old = await run('--db', bare);
    expect(old.exitCode).toBe(1);
    expect(old.err).toContain('this store has no rollup tables yet');
  });
});

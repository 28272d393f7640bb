import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { Directory, SegmentTree } from '../domain/people.ts';
import { createAnalytics } from '../learn/analytics.ts';
import { postgresExecutor, sqliteExecutor } from '../learn/executor.ts';
import { people, segments } from '../machine/fixtures.ts';
import { memoryStore } from '../stores/memory.ts';
import { postgresStore } from '../stores/postgres.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import { ERASURE_RECEIPTS } from './privacy.ts';
import { LUCIA, LUCIA_TRACES, learnFigures, runOn, seedLoops } from './test-kit.ts';

const tree = new SegmentTree(segments, new Directory(people));
const dir = mkdtempSync(join(tmpdir(), 'erase-'));
let n = 0;

/** The raw bytes of a SQLite database and its WAL, as Latin-1 text (any UTF-8 sequence survives). */
function rawFiles(path: string): string {
  return [path, `${path}-wal`, `${path}-journal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p).toString('latin1'))
    .join('\n');
}
const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('privacy.erase on SQLite', () => {
  test('leaves none of her bytes in the database file or its WAL, and the learn figures unchanged', async () => {
    const path = join(dir, `${n++}.sqlite`);
    const run = runOn(sqliteStore({ path }));
    const { luciaCase } = await seedLoops(run);
    const figures = async () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return await learnFigures(createAnalytics(sqliteExecutor(db), { segments: tree }));
      } finally {
        db.close();
      }
    };
    const before = await figures();
    // The test can fail: her data is in the files now.
    expect(rawFiles(path)).toContain(utf8AsLatin1(LUCIA.comment));

    const result = await run.loop.privacy.erase({ email: LUCIA.email.toUpperCase() }, { actor: 'dpo' });
    expect(result.erased).toBe(true);
    expect(result.counts).toMatchObject({ feedback: 2, cases: 1, loops: 2 });

    const raw = rawFiles(path);
    for (const trace of LUCIA_TRACES) expect(raw).not.toContain(utf8AsLatin1(trace));
    expect(await figures()).toEqual(before);

    // The case stays (status, score), without her; the staff comment keeps its words.
    const c = await run.loop.cases.get(luciaCase);
    expect(c.nps).toBe(2);
    expect(c.comments[0]!.body).toBe('Called [erased] ([erased]), she is upset');
    const exported = await run.loop.privacy.export({ email: LUCIA.email });
    expect(exported.records).toEqual({ feedback: [], cases: [], loops: [], deliveries: [] });
    await run.loop.close();
  });
});

describe.each([
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `${n++}.sqlite`) })],
])('privacy.erase on %s', (_name, make) => {
  test('records a receipt without personal data; erasing again is a no-op', async () => {
    const run = runOn(make());
    await seedLoops(run);
    const first = await run.loop.privacy.erase({ customerId: LUCIA.customerId }, { actor: 'dpo' });
    expect(first.receipt).toMatchObject({ actor: 'dpo', by: 'customerId', counts: first.counts });
    const receipts = await run.loop.store.documents.list(ERASURE_RECEIPTS);
    expect(receipts.map((r) => r.value)).toEqual([first.receipt]);
    const text = JSON.stringify(receipts);
    for (const trace of LUCIA_TRACES) expect(text).not.toContain(trace);

    const again = await run.loop.privacy.erase({ email: LUCIA.email }, { actor: 'dpo' });
    expect(again).toEqual({
      erased: false,
      counts: { feedback: 0, cases: 0, loops: 0, closedLoops: 0, deliveries: 0, cancelledDeliveries: 0 },
    });
    expect(await run.loop.store.documents.list(ERASURE_RECEIPTS)).toHaveLength(1);
    await run.loop.close();
  });

  test('her running loop is closed: no SLA step, no thank-you, no re-survey reaches her afterwards', async () => {
    const run = runOn(make());
    const { luciaCase } = await seedLoops(run);
    await run.loop.privacy.erase({ email: LUCIA.email }, { actor: 'dpo' });
    const calls = run.connector.calls.length;
    await expect(
      run.loop.cases.resolve(luciaCase, { rootCause: 'courier' }, { actor: 'ana' }),
    ).rejects.toMatchObject({ code: 'MOVE_REFUSED' });
    run.clock.advance(30 * 24 * 3600_000);
    await run.loop.fireDueTimers();
    await run.loop.idle();
    const after = run.connector.calls.slice(calls);
    expect(after.filter((e) => e.caseId === luciaCase)).toEqual([]);
    expect(JSON.stringify(after)).not.toContain(LUCIA.email);
    await run.loop.close();
  });

  test('is safe under concurrent captures: every loop is erased whole or not at all, nothing fails', async () => {
    const run = runOn(make());
    await seedLoops(run);
    const captures = Array.from({ length: 12 }, (_, i) =>
      run.loop.capture({
        source: { tool: 'typeform', responseId: `race-${i}` },
        customer: i % 2 ? { email: LUCIA.email, segment: 'spain' } : { email: `race${i}@example.it` },
        nps: i % 11,
        comment: i % 2 ? `${LUCIA.comment} (${i})` : `fine ${i}`,
      }),
    );
    const erasure = run.loop.privacy.erase({ email: LUCIA.email }, { actor: 'dpo' });
    const results = await Promise.all([...captures, erasure]);
    expect(results).toHaveLength(13);
    // What was captured after the erasure is hers until erased again; nothing is half-erased.
    for (const [i, r] of results.slice(0, 12).entries()) {
      const c = r as Awaited<(typeof captures)[number]>;
      const f = (await run.loop.store.getFeedback(c.feedbackId))!;
      const loop = (await run.loop.getLoop(c.loopId))!;
      expect(f.nps).toBe(i % 11);
      if (i % 2 === 0) expect(f.customer.email).toBe(`race${i}@example.it`);
      else expect(loop.snapshot.context.feedback.erasedAt !== undefined).toBe(f.erasedAt !== undefined);
    }
    await run.loop.privacy.erase({ email: LUCIA.email }, { actor: 'dpo' });
    expect(await run.loop.privacy.export({ email: LUCIA.email })).toMatchObject({
      records: { feedback: [], cases: [], loops: [], deliveries: [] },
    });
    await run.loop.close();
  });
});

describe('privacy.erase on PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
  const schema = `erase_${process.pid}_${Date.now().toString(36)}`;
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  test('no table holds her afterwards, dead row versions are vacuumed, NPS is unchanged', async () => {
    const run = runOn(postgresStore({ pool, schema }));
    await seedLoops(run);
    const analytics = createAnalytics(postgresExecutor(pool, schema), { segments: tree });
    const before = await learnFigures(analytics);
    const tables = async () =>
      (
        await pool.query(
          `SELECT string_agg(t::text, ' ') AS all FROM (
             SELECT row_to_json(x)::text AS t FROM "${schema}".feedback x UNION ALL
             SELECT row_to_json(x)::text FROM "${schema}".cases x UNION ALL
             SELECT row_to_json(x)::text FROM "${schema}".loops x UNION ALL
             SELECT row_to_json(x)::text FROM "${schema}".timers x UNION ALL
             SELECT row_to_json(x)::text FROM "${schema}".deliveries x UNION ALL
             SELECT row_to_json(x)::text FROM "${schema}".documents x) u`,
        )
      ).rows[0].all as string;
    expect(await tables()).toContain(LUCIA.comment);
    const result = await run.loop.privacy.erase({ email: LUCIA.email }, { actor: 'dpo' });
    expect(result.counts.feedback).toBe(2);
    const all = await tables();
    for (const trace of LUCIA_TRACES) expect(all).not.toContain(trace);
    expect(await learnFigures(analytics)).toEqual(before);
    const vacuumed = await pool.query(
      `SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_vacuum IS NOT NULL ORDER BY relname`,
      [schema],
    );
    expect(vacuumed.rows.map((r) => r.relname)).toEqual([
      'cases',
      'deliveries',
      'feedback',
      'loops',
      'timers',
    ]);
    await run.loop.close();
  });
});

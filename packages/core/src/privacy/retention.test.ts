import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { Directory, SegmentTree } from '../domain/people.ts';
import { createAnalytics } from '../learn/analytics.ts';
import { postgresExecutor, sqliteExecutor } from '../learn/executor.ts';
import { people, segments } from '../machine/fixtures.ts';
import { postgresStore } from '../stores/postgres.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { Store } from '../stores/store.ts';
import { parseRetentionPolicy, runRetention, subtractDuration } from './retention.ts';
import { learnFigures, runOn } from './test-kit.ts';

const tree = new SegmentTree(segments, new Directory(people));
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-02T09:00:00Z');

const AnswerArb = fc.record({
  nps: fc.integer({ min: 0, max: 10 }),
  daysAgo: fc.integer({ min: 0, max: 900 }),
  segment: fc.constantFrom('spain', 'italy', 'milan'),
  resolve: fc.boolean(),
  comment: fc.boolean(),
});

interface Answer {
  nps: number;
  daysAgo: number;
  segment: string;
  resolve: boolean;
  comment: boolean;
}

/** Captures the answers at their times on a store, resolving some cases; returns the loop. */
async function seed(store: Store, answers: Answer[], tag: string) {
  const run = runOn(store);
  const loopIds: string[] = [];
  for (const [i, a] of answers.entries()) {
    run.clock.set(T0 - a.daysAgo * DAY);
    const r = await run.loop.capture({
      source: { tool: 'typeform', responseId: `${tag}-${i}` },
      customer: { email: `kept-${tag}-${i}@example.es`, name: `Persona ${i}`, segment: a.segment },
      nps: a.nps,
      ...(a.comment ? { comment: `secreto ${tag} ${i} del cliente` } : {}),
      language: 'es',
    });
    loopIds.push(r.loopId);
    if (r.case && a.resolve) {
      await run.loop.cases.resolve(r.case.id, { rootCause: 'courier' }, { actor: 'ana' });
      await run.loop.cases.inform(r.case.id, { message: 'Hecho' }, { actor: 'ana' });
    }
  }
  run.clock.set(T0);
  await run.loop.idle();
  return Object.assign(run, { loopIds });
}

const policy = { comments: 'P6M', identity: 'P24M', closedCases: 'P12M', logs: 'P3M' };

async function property(
  make: (tag: string) => { store: Store; figures: () => Promise<unknown>; text: () => Promise<string> },
) {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(AnswerArb, { minLength: 1, maxLength: 12 }), async (answers) => {
      const tag = `p${n++}`;
      const { store, figures, text } = make(tag);
      const run = await seed(store, answers, tag);
      const before = await figures();
      const dry = await runRetention(store, policy, { now: T0, dryRun: true, batchSize: 3 });
      expect(await figures()).toEqual(before);
      const real = await runRetention(store, policy, { now: T0, batchSize: 3 });
      expect(real.anonymised).toEqual(dry.anonymised);
      expect(await figures()).toEqual(before);
      // Of the loops that ended (running ones wait), comments older than 6 months are gone,
      // identities older than 24 months too.
      const all = await text();
      for (const [i, a] of answers.entries()) {
        if ((await run.loop.getLoop(run.loopIds[i]!))?.snapshot.state !== 'learned') continue;
        if (a.comment && a.daysAgo > 190) expect(all).not.toContain(`secreto ${tag} ${i} `);
        if (a.daysAgo > 740) expect(all).not.toContain(`kept-${tag}-${i}@`);
      }
      // Nothing left to do: running again changes nothing.
      const again = await runRetention(store, policy, { now: T0, batchSize: 3 });
      expect(again.anonymised).toEqual({ comments: 0, identity: 0, closedCases: 0, logs: 0 });
      await run.loop.close();
    }),
    { numRuns: 6 },
  );
}

describe('retention', () => {
  test('durations are ISO-8601 and counted on the calendar; bad ones are named', () => {
    expect(new Date(subtractDuration(Date.parse('2026-03-31T00:00:00Z'), 'P18M')).toISOString()).toBe(
      '2024-10-01T00:00:00.000Z',
    );
    expect(subtractDuration(T0, 'P2W')).toBe(T0 - 14 * DAY);
    expect(subtractDuration(T0, 'PT36H')).toBe(T0 - 1.5 * DAY);
    expect(() => parseRetentionPolicy({ comments: '18 months' })).toThrow(/retention\.comments: "18 months"/);
    expect(() => parseRetentionPolicy({ coments: 'P1Y' })).toThrow(/retention\.coments: unknown kind/);
    expect(() => parseRetentionPolicy({ logs: 'P' })).toThrow(/retention\.logs/);
  });

  test('on SQLite: learn figures identical before and after; resumable in batches', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retention-'));
    await property((tag) => {
      const path = join(dir, `${tag}.sqlite`);
      const store = sqliteStore({ path });
      const read =
        <T>(fn: (db: DatabaseSync) => T | Promise<T>) =>
        async () => {
          const db = new DatabaseSync(path, { readOnly: true });
          try {
            return await fn(db);
          } finally {
            db.close();
          }
        };
      return {
        store,
        figures: read((db) => learnFigures(createAnalytics(sqliteExecutor(db), { segments: tree }))),
        text: read((db) =>
          JSON.stringify([
            db.prepare('SELECT data FROM feedback').all(),
            db.prepare('SELECT data FROM cases').all(),
            db.prepare('SELECT snapshot FROM loops').all(),
            db.prepare('SELECT effect, last_error FROM deliveries').all(),
          ]),
        ),
      };
    });
  });

  describe('on PostgreSQL', () => {
    const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
    const schemas: string[] = [];
    afterAll(async () => {
      for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      await pool.end();
    });
    test('learn figures identical before and after', { timeout: 180_000 }, async () => {
      await property((tag) => {
        const schema = `ret_${process.pid}_${tag}`;
        schemas.push(schema);
        const store = postgresStore({ pool, schema });
        const q = `"${schema}"`;
        return {
          store,
          figures: () => learnFigures(createAnalytics(postgresExecutor(pool, schema), { segments: tree })),
          text: async () =>
            JSON.stringify(
              (
                await pool.query(
                  `SELECT (SELECT json_agg(data)::text FROM ${q}.feedback) || (SELECT coalesce(json_agg(data)::text, '') FROM ${q}.cases)
                   || (SELECT json_agg(snapshot)::text FROM ${q}.loops) || (SELECT coalesce(json_agg(effect)::text, '') FROM ${q}.deliveries) AS t`,
                )
              ).rows[0].t,
            ),
        };
      });
    });
  });

  test('a dry run changes nothing; an interrupted run resumes where it stopped', async () => {
    const store = sqliteStore({ path: ':memory:' });
    const answers = Array.from({ length: 7 }, (_, i) => ({
      nps: 9,
      daysAgo: 400 + i,
      segment: 'spain',
      resolve: false,
      comment: true,
    }));
    const run = await seed(store, answers, 'resume');
    const first = await runRetention(store, { comments: 'P6M' }, { now: T0, batchSize: 2, maxBatches: 2 });
    expect(first).toMatchObject({ complete: false, scanned: 4, anonymised: { comments: 4 } });
    const rest = await runRetention(store, { comments: 'P6M' }, { now: T0, batchSize: 2 });
    expect(rest).toMatchObject({ complete: true, scanned: 3, anonymised: { comments: 3 } });
    const done = await runRetention(store, { comments: 'P6M' }, { now: T0, batchSize: 2, dryRun: true });
    expect(done).toMatchObject({ complete: true, scanned: 7, anonymised: { comments: 0 } });
    await run.loop.close();
  });
});

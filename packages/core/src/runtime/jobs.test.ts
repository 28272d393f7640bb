// Periodic jobs run once per period across processes, and a period missed while all were down is
// caught up by whichever comes back.
import { afterAll, describe, expect, inject, test } from 'vitest';
import { nextRunAt } from '../learn/schedule.ts';
import { memoryDocuments } from '../stores/documents.ts';
import { postgresStore } from '../stores/postgres.ts';
import type { DocumentStore } from '../stores/store.ts';
import { manualClock } from './clock.ts';
import { type JobScheduler, type JobState, scheduleJobs } from './jobs.ts';

const MONDAY_8 = Date.parse('2026-01-12T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function weekly(
  documents: DocumentStore,
  clock: ReturnType<typeof manualClock>,
  owner: string,
  runs: string[],
) {
  return scheduleJobs({
    documents,
    clock,
    owner,
    pollMs: 60_000,
    jobs: [
      {
        id: 'report.weekly',
        nextRunAt: (after) => nextRunAt('weekly', after),
        async run(at) {
          runs.push(`${owner}@${iso(at)}`);
        },
      },
    ],
  });
}

const started: JobScheduler[] = [];
afterAll(() => {
  for (const s of started) s.stop();
});
const settle = async (s: JobScheduler[]) => {
  for (let i = 0; i < 5; i++) await Promise.all(s.map((x) => x.tick()));
};

describe('scheduleJobs', () => {
  test('three processes on one store: each period runs once, by one of them', async () => {
    const documents = memoryDocuments(() => {});
    const clock = manualClock(MONDAY_8 - 3_600_000);
    const runs: string[] = [];
    const s = ['a', 'b', 'c'].map((o) => weekly(documents, clock, o, runs));
    started.push(...s);
    await settle(s);
    expect(s[0]!.next()).toEqual([{ id: 'report.weekly', at: iso(MONDAY_8) }]);
    await clock.advance(3_600_000);
    await settle(s);
    await clock.advance(7 * 86_400_000);
    await settle(s);
    expect(runs.map((r) => r.split('@')[1])).toEqual([iso(MONDAY_8), iso(MONDAY_8 + 7 * 86_400_000)]);
    for (const x of s) x.stop();
  });

  test('a period missed while every process was down runs when one starts (the latest one, once)', async () => {
    const documents = memoryDocuments(() => {});
    const clock = manualClock(MONDAY_8 - 3_600_000);
    const runs: string[] = [];
    const first = weekly(documents, clock, 'a', runs);
    await settle([first]);
    first.stop(); // down from Monday 07:00 …
    clock.set(MONDAY_8 + 15 * 86_400_000); // … to the Tuesday two weeks later: two periods missed
    const back = weekly(documents, clock, 'b', runs);
    started.push(back);
    await settle([back]);
    expect(runs).toEqual([`b@${iso(MONDAY_8 + 14 * 86_400_000)}`]);
    expect(back.next()).toEqual([{ id: 'report.weekly', at: iso(MONDAY_8 + 21 * 86_400_000) }]);
    back.stop();
  });

  test('a run left by a process that died (its lease ended) is taken over; a live lease is respected', async () => {
    const documents = memoryDocuments(() => {});
    const clock = manualClock(MONDAY_8 + 60_000);
    await documents.put<JobState>('job', 'report.weekly', {
      lastRunAt: MONDAY_8 - 7 * 86_400_000,
      lease: { owner: 'dead', at: MONDAY_8, until: Date.now() + 60_000 },
    });
    const runs: string[] = [];
    const s = weekly(documents, clock, 'b', runs);
    started.push(s);
    await settle([s]);
    expect(runs).toEqual([]); // the lease still runs: the other process may be sending
    const doc = await documents.get<JobState>('job', 'report.weekly');
    await documents.put<JobState>(
      'job',
      'report.weekly',
      { ...doc!.value, lease: { owner: 'dead', at: MONDAY_8, until: Date.now() - 1 } },
      { expectedVersion: doc!.version },
    );
    await settle([s]);
    expect(runs).toEqual([`b@${iso(MONDAY_8)}`]);
    expect((await documents.get<JobState>('job', 'report.weekly'))?.value).toEqual({ lastRunAt: MONDAY_8 });
    s.stop();
  });

  test('on PostgreSQL, processes with their own connections run a period once', async () => {
    const schema = `t_jobs_${process.pid}_${Date.now().toString(36)}`;
    const stores = [0, 1, 2].map(() => postgresStore({ connectionString: inject('pgUrl'), schema, max: 2 }));
    try {
      await stores[0]!.init();
      const clock = manualClock(MONDAY_8 - 60_000);
      const runs: string[] = [];
      const s = stores.map((st, i) => weekly(st.documents, clock, `p${i}`, runs));
      started.push(...s);
      await settle(s);
      clock.set(MONDAY_8 + 1);
      await Promise.all(s.map((x) => x.tick()));
      await settle(s);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatch(/^p\d@2026-01-12T08:00:00.000Z$/);
      for (const x of s) x.stop();
    } finally {
      for (const st of stores) await st.close();
    }
  });
});

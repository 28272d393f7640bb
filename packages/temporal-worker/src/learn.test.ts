// The inner loop on Temporal, against a real dev server and a real PostgreSQL: loops mirrored
// into PostgreSQL as they change, analytics over the mirror, and report Schedules whose run times
// are core's `nextRunAt`, whose runs report on the period they were scheduled for.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SegmentTree, type Store } from '@closedloop/core';
import {
  type Analytics,
  createAnalytics,
  nextRunAt,
  postgresExecutor,
  type ScheduledDelivery,
} from '@closedloop/core/learn';
import { postgresStore } from '@closedloop/core/postgres';
import { detractor } from '@closedloop/core/testing';
import { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createTemporalClosedLoop, workflowIdOf } from './client.ts';
import { backfillMirror } from './mirror.ts';
import { applyReportSchedules, reportScheduleId } from './reports.ts';
import { dedupingReceiver, eventually, startDevServer, testDecider, testOrg } from './test-kit.ts';
import { bundleLoopWorkflows, createClosedLoopWorker } from './worker.ts';
import { REPORT_WORKFLOW_TYPE } from './workflows/definitions.ts';

const TASK_QUEUE = 'closedloop-learn';
const SCHEMA = `tw_learn_${process.pid}`;
const TZ = 'Europe/Madrid';
const MIRRORED_FIXTURE = new URL('./fixtures/mirrored.history.json', import.meta.url);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let pool: pg.Pool;
let mirror: Store;
let analytics: Analytics;
let client: Client;
const delivered: ScheduledDelivery[] = [];
let loop: ReturnType<typeof createTemporalClosedLoop>;
let bundle: { code: string };

beforeAll(async () => {
  env = await startDevServer();
  pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
  await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  mirror = postgresStore({ pool, schema: SCHEMA });
  analytics = createAnalytics(postgresExecutor(pool, SCHEMA), {
    segments: new SegmentTree(testOrg.segments),
  });
  bundle = await bundleLoopWorkflows();
  worker = await createClosedLoopWorker({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    decider: testDecider(),
    connectors: [dedupingReceiver()],
    mirror,
    reports: {
      analytics,
      deliver: async (d) => {
        delivered.push(d);
        return `report-${delivered.length}@test`;
      },
    },
    ...testOrg,
  });
  running = worker.run();
  loop = createTemporalClosedLoop({ connection: env.connection, taskQueue: TASK_QUEUE });
  client = new Client({ connection: env.connection });
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await mirror?.close();
  await pool?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await pool?.end();
  await env?.teardown();
});

describe('mirror', { timeout: 60_000 }, () => {
  test('copies each loop into PostgreSQL as it changes: feedback, case and snapshot', async () => {
    const receivedAt = '2026-11-10T10:00:00.000Z';
    const r = await loop.capture(detractor({ receivedAt }));
    const caseId = r.case!.id;
    const mirrored = await eventually(() => mirror.getCase(caseId));
    expect(mirrored).toMatchObject({ id: caseId, status: 'new', segment: 'spain' });
    expect((await mirror.getFeedback(r.feedbackId))?.receivedAt).toBe(receivedAt);

    await loop.cases.comment(caseId, 'Llamé al cliente', { actor: 'ana' });
    await loop.cases.resolve(caseId, { rootCause: 'packaging' }, { actor: 'ana' });
    const resolved = await loop.cases.get(caseId);
    // The mirror catches up with the loop: the same case, at the same version.
    const copy = await eventually(async () => {
      const c = await mirror.getCase(caseId);
      return c?.version === resolved.version ? c : undefined;
    });
    expect(copy).toEqual(resolved);
    expect((await mirror.getLoop(r.loopId))?.snapshot.context.case?.rootCause).toBe('packaging');

    // Analytics read the mirror in SQL.
    const [nps] = await analytics.nps({ from: '2026-11-09', to: '2026-11-16' });
    expect(nps).toMatchObject({ responses: 1, detractors: 1, nps: -100 });
    const causes = await analytics.rootCauses({ from: '2000-01-01', to: '2100-01-01' });
    expect(causes.map((c) => c.rootCause)).toContain('packaging');
  });

  test('a loop that ends is mirrored in its final state, and no write goes backwards', async () => {
    const r = await loop.capture(
      detractor({ nps: 10, comment: 'Todo perfecto', receivedAt: '2026-11-11T10:00:00Z' }),
    );
    const handle = client.workflow.getHandle(workflowIdOf({ loopId: r.loopId }));
    const final = await handle.result();
    const stored = await eventually(() => mirror.getLoop(r.loopId));
    expect(stored.snapshot.state).toBe('learned');
    expect(stored.version).toBe(final.context.version);
    // A stale write (an older snapshot, e.g. a retried activity) changes nothing.
    const older = { ...stored.snapshot, context: { ...stored.snapshot.context, version: 0 } };
    const { createActivities } = await import('./activities.ts');
    const acts = createActivities({ ...testOrg, mirror });
    expect(await acts.mirrorLoop(older, new Date().toISOString())).toEqual({ written: false });
    expect((await mirror.getLoop(r.loopId))?.version).toBe(stored.version);

    // A mirrored loop's history replays on the current code (recorded once, like happy-path).
    if (!existsSync(MIRRORED_FIXTURE))
      writeFileSync(MIRRORED_FIXTURE, `${historyToJSON(await handle.fetchHistory())}\n`);
    const history = historyFromJSON(JSON.parse(readFileSync(MIRRORED_FIXTURE, 'utf8')));
    expect(
      history.events?.some(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'mirrorLoop',
      ),
    ).toBe(true);
    for await (const replay of Worker.runReplayHistories({ workflowBundle: bundle }, [
      { workflowId: 'mirrored', history },
    ]))
      expect(replay.error).toBeUndefined();
  });
});

describe('mirror backfill', { timeout: 90_000 }, () => {
  test('brings in loops that ran before the mirror: ended ones by query, running ones mirror themselves', async () => {
    const taskQueue = 'closedloop-backfill';
    const workerOn = (withMirror: boolean) =>
      createClosedLoopWorker({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        decider: testDecider(),
        connectors: [dedupingReceiver()],
        ...(withMirror ? { mirror } : {}),
        ...testOrg,
      });
    const l = createTemporalClosedLoop({ connection: env.connection, taskQueue });
    // Before the mirror: one loop that ended (a promoter), one still open (a detractor's case).
    const plain = await workerOn(false);
    const { ended, open } = await plain.runUntil(async () => {
      const ended = await l.capture(detractor({ nps: 9, comment: 'Bien' }));
      const open = await l.capture(detractor());
      await client.workflow.getHandle(workflowIdOf({ loopId: ended.loopId })).result();
      return { ended, open };
    });
    expect(await mirror.getLoop(ended.loopId)).toBeUndefined();
    expect(await mirror.getLoop(open.loopId)).toBeUndefined();

    // The workers restart with a mirror; the backfill brings both in.
    const mirrored = await workerOn(true);
    await mirrored.runUntil(async () => {
      await eventually(async () => {
        let n = 0;
        for await (const _ of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) n++;
        return n === 2;
      });
      const progress: number[] = [];
      const first = await backfillMirror({
        client,
        taskQueue,
        mirror,
        onProgress: (p) => progress.push(p.seen),
      });
      expect(first).toEqual({ seen: 2, written: 1, unchanged: 0, signalled: 1, failed: 0 });
      expect(progress).toEqual([1, 2]);
      expect((await mirror.getLoop(ended.loopId))?.snapshot.state).toBe('learned');
      await eventually(() => mirror.getCase(open.case!.id));
      // The open loop now mirrors every change itself.
      await l.cases.update(open.case!.id, { status: 'open' }, { actor: 'ana' });
      await eventually(async () => (await mirror.getCase(open.case!.id))?.status === 'open');
      // Idempotent: nothing is written twice.
      expect(await backfillMirror({ client, taskQueue, mirror })).toEqual({
        seen: 2,
        written: 0,
        unchanged: 1,
        signalled: 1,
        failed: 0,
      });
    });
  });
});

describe('report schedules', { timeout: 90_000 }, () => {
  const prefix = `test-report-${process.pid}`;
  const care = {
    id: 'care',
    name: 'Care team',
    email: 'care@example.com',
    team: 'care',
    segments: ['spain'],
  };
  const bob = { name: 'Bob Smith', email: 'bob@example.com', segments: ['emea'] };

  test('one Schedule per cadence and audience, firing at core’s run times; re-applying updates; removed ones are deleted', async () => {
    const options = {
      taskQueue: TASK_QUEUE,
      timeZone: TZ,
      prefix,
      audiences: { daily: [care], weekly: [care, bob] },
    };
    const first = await applyReportSchedules(client, options);
    expect(first.created.sort()).toEqual(
      [
        reportScheduleId('daily', care, prefix),
        reportScheduleId('weekly', care, prefix),
        reportScheduleId('weekly', bob, prefix),
      ].sort(),
    );
    const weekly = await client.schedule.getHandle(reportScheduleId('weekly', bob, prefix)).describe();
    expect(weekly.action.workflowType).toBe(REPORT_WORKFLOW_TYPE);
    let after = Date.now();
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      after = nextRunAt('weekly', after, { timeZone: TZ });
      expected.push(new Date(after).toISOString());
    }
    expect(weekly.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString())).toEqual(expected);
    const daily = await client.schedule.getHandle(reportScheduleId('daily', care, prefix)).describe();
    expect(daily.info.nextActionTimes[0]?.toISOString()).toBe(
      new Date(nextRunAt('daily', Date.now(), { timeZone: TZ })).toISOString(),
    );

    // Listing is eventually consistent: wait until all three are visible before removing one.
    await eventually(async () => {
      let n = 0;
      for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(`${prefix}-`)) n++;
      return n === 3;
    });
    const second = await applyReportSchedules(client, {
      ...options,
      audiences: { daily: [care], weekly: [care] },
    });
    expect(second.created).toEqual([]);
    expect(second.updated.sort()).toEqual(
      [reportScheduleId('daily', care, prefix), reportScheduleId('weekly', care, prefix)].sort(),
    );
    expect(second.deleted).toEqual([reportScheduleId('weekly', bob, prefix)]);
  });

  test('a run caught up late reports on the period it was scheduled for', async () => {
    // Monday 2026-11-16 08:00 in Madrid: the weekly report then covers 2026-11-09 – 2026-11-15,
    // the week of the mirrored detractor above — even though it runs today.
    const handle = client.schedule.getHandle(reportScheduleId('weekly', care, prefix));
    await handle.backfill({
      start: new Date('2026-11-16T06:59:00Z'),
      end: new Date('2026-11-16T07:01:00Z'),
      overlap: 'ALLOW_ALL',
    });
    const d = await eventually(() => delivered.find((x) => x.cadence === 'weekly'), 30_000);
    expect(d.audience).toEqual(care);
    expect(d.report.range).toEqual({ from: '2026-11-09T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' });
    expect(d.report.segments).toEqual(['spain']);
    expect(d.report.summary?.nps).toMatchObject({ detractors: 1, promoters: 1 });
  });

  test('refuses two audiences of one cadence with the same key', async () => {
    await expect(
      applyReportSchedules(client, {
        taskQueue: TASK_QUEUE,
        prefix,
        audiences: { daily: [{ email: 'a@example.com' }, { email: 'A@example.com', name: 'A' }] },
      }),
    ).rejects.toThrow(/share the key "a@example.com": give one of them an id/);
  });
});

// The mirror: a copy of every loop in a SQL store (normally PostgreSQL) for analytics and reports.
// Loops mirror themselves as they change (the workflow's `mirrorLoop` activity); `backfillMirror`
// brings in the loops that ran before the mirror was switched on.
import type { Store } from '@closedloop/core';
import type { LoopSnapshot } from '@closedloop/core/machine';
import type { Client } from '@temporalio/client';
import { LOOP_WORKFLOW_TYPE, mirrorSignal, snapshotQuery } from './workflows/definitions.ts';

/**
 * Writes one loop snapshot into the mirror store, unless the store holds this version or a newer
 * one already. Returns whether it wrote. Timers and deliveries are not written: they stay with
 * Temporal, and nothing ever runs from the mirror.
 */
export async function writeMirror(store: Store, snapshot: LoopSnapshot, at: string): Promise<boolean> {
  const { loopId, version, feedback } = snapshot.context;
  const stored = await store.getLoop(loopId);
  if (stored && stored.version >= version) return false;
  const feedbackChanged =
    !stored || JSON.stringify(stored.snapshot.context.feedback) !== JSON.stringify(feedback);
  await store.commit({
    loop: { loopId, snapshot, version, updatedAt: at },
    expectedVersion: stored?.version,
    ...(feedbackChanged ? { feedback } : {}),
    ...(snapshot.context.case ? { case: snapshot.context.case } : {}),
    timers: [],
    deliveries: [],
  });
  return true;
}

export interface BackfillMirrorOptions {
  client: Client;
  /** The task queue the loops run on (the workers there answer the queries). */
  taskQueue: string;
  /** The mirror store (the same the workers write). */
  mirror: Store;
  /** Only loops started at or after this time. */
  since?: Date;
  /** Called after each loop. */
  onProgress?(progress: BackfillProgress): void;
}

export interface BackfillProgress {
  /** Loops seen so far. */
  seen: number;
  /** Ended loops written into the mirror. */
  written: number;
  /** Ended loops the mirror had already, at their last version. */
  unchanged: number;
  /** Running loops asked to mirror themselves from now on (they write their current state at once). */
  signalled: number;
  /** Loops that could not be read (failed or terminated runs, or no worker answering). */
  failed: number;
}

/**
 * Brings the loops that ran before the mirror was switched on into it: ended loops are read by
 * query and written; running ones get the `closedloop.mirror` signal and mirror themselves from
 * then on. Idempotent: run it again and nothing is written twice. Needs the workers running (a
 * query of an ended loop is answered by a worker replaying it).
 *
 * @example
 * const r = await backfillMirror({ client, taskQueue: 'closedloop', mirror: postgresStore({ pool }) });
 */
export async function backfillMirror(options: BackfillMirrorOptions): Promise<BackfillProgress> {
  const { client, mirror } = options;
  await mirror.init();
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const clauses = [`WorkflowType = ${quote(LOOP_WORKFLOW_TYPE)}`, `TaskQueue = ${quote(options.taskQueue)}`];
  if (options.since) clauses.push(`StartTime >= ${quote(options.since.toISOString())}`);
  const progress: BackfillProgress = { seen: 0, written: 0, unchanged: 0, signalled: 0, failed: 0 };
  const done = new Set<string>();
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
    // A loop that continued as new is listed once per run: its latest run speaks for it.
    if (done.has(wf.workflowId)) continue;
    done.add(wf.workflowId);
    progress.seen++;
    const handle = client.workflow.getHandle(wf.workflowId);
    try {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') {
        await handle.signal(mirrorSignal);
        progress.signalled++;
      } else {
        const snapshot = await handle.query(snapshotQuery);
        if (!snapshot) progress.failed++;
        else if (await writeMirror(mirror, snapshot, new Date().toISOString())) progress.written++;
        else progress.unchanged++;
      }
    } catch {
      progress.failed++;
    }
    options.onProgress?.({ ...progress });
  }
  return progress;
}

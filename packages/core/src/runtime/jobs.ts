// Periodic jobs (scheduled reports, retention) run once per period across every process on a
// store: a job's state is one document (kind `job`, id = the job's id) holding the last period
// done and, while a run is under way, a lease. Whoever writes the lease first (compare-and-set)
// runs the period; a process that dies mid-run loses its lease and another runs it again. A
// period that passed while every process was down is run when one comes back (the latest one
// only, not every missed period).
import { ClosedLoopError } from '../errors.ts';
import type { DocumentStore } from '../stores/store.ts';
import type { Clock } from './clock.ts';

export interface PeriodicJob {
  /** Unique among the jobs of a store, e.g. `report.weekly` or `retention`. */
  id: string;
  /** The first run time strictly after `after` (epoch ms on the runtime's clock). */
  nextRunAt(after: number): number;
  /** Runs the period that falls due at `at`. A throw is reported; the period still counts as done. */
  run(at: number): Promise<void>;
}

export interface JobSchedulerOptions {
  documents: DocumentStore;
  clock: Clock;
  /** This process's id (the replica id), written in the lease. */
  owner: string;
  jobs: readonly PeriodicJob[];
  /** How long a run may take before another process may take it over (wall ms). Default 10 min. */
  leaseMs?: number;
  /** How often (real ms) to look again for a period due (a run another process left). Default 30 s. */
  pollMs?: number;
  onError?(error: unknown, jobId: string): void;
}

export interface JobScheduler {
  /** The next run time of each job. */
  next(): { id: string; at: string }[];
  /** Jobs this process is running now. */
  running(): string[];
  /** Looks at every job now: runs a period that is due and not taken. */
  tick(): Promise<void>;
  stop(): void;
}

/** A job's document. */
export interface JobState {
  /** The run time of the last period done (or when the job was first seen). */
  lastRunAt: number;
  lease?: { owner: string; at: number; until: number };
}

const KIND = 'job';
const MAX_CATCH_UP_MS = 400 * 86_400_000;

const isConflict = (e: unknown) => e instanceof ClosedLoopError && e.code === 'CONFLICT';

/** The latest run time in (last, now], if any. */
function latestDue(job: PeriodicJob, last: number, now: number): number | undefined {
  let due: number | undefined;
  let t = job.nextRunAt(Math.max(last, now - MAX_CATCH_UP_MS));
  for (let i = 0; i < 1000 && t <= now; i++) {
    due = t;
    t = job.nextRunAt(t);
  }
  return due;
}

/**
 * Runs periodic jobs once per period across every process sharing `documents`.
 *
 * @example
 * const jobs = scheduleJobs({ documents: store.documents, clock: systemClock, owner: loop.replica().id,
 *   jobs: [{ id: 'retention', nextRunAt: (after) => nextRunAt('daily', after), run: () => runRetention(…) }] });
 */
export function scheduleJobs(options: JobSchedulerOptions): JobScheduler {
  const { documents, clock, owner } = options;
  const leaseMs = options.leaseMs ?? 600_000;
  const onError = options.onError ?? (() => {});
  const nextAt = new Map<string, number>();
  const handles = new Map<string, unknown>();
  const ticking = new Map<string, Promise<void>>();
  const running = new Set<string>();
  let stopped = false;

  for (const job of options.jobs) nextAt.set(job.id, job.nextRunAt(clock.now()));

  const arm = (job: PeriodicJob, at: number) => {
    if (stopped) return;
    nextAt.set(job.id, at);
    const previous = handles.get(job.id);
    if (previous !== undefined) clock.clearTimeout(previous);
    handles.set(
      job.id,
      clock.setTimeout(() => void tickJob(job), at - clock.now()),
    );
  };

  async function once(job: PeriodicJob): Promise<void> {
    const now = clock.now();
    const doc = await documents.get<JobState>(KIND, job.id);
    if (!doc) {
      // First seen: periods from now on are this job's (nothing before it is "missed").
      await documents.put<JobState>(KIND, job.id, { lastRunAt: now }, { expectedVersion: 0 }).catch((e) => {
        if (!isConflict(e)) throw e;
      });
      return arm(job, job.nextRunAt(now));
    }
    const last = doc.value.lastRunAt;
    const due = latestDue(job, last, now);
    if (due === undefined) return arm(job, job.nextRunAt(Math.max(last, now)));
    const wall = Date.now();
    const lease = doc.value.lease;
    // Under way in a process whose lease still runs: its period, not ours. The poll looks again.
    if (lease && lease.until > wall) return;
    let claimed: Awaited<ReturnType<typeof documents.put<JobState>>>;
    try {
      claimed = await documents.put<JobState>(
        KIND,
        job.id,
        { lastRunAt: last, lease: { owner, at: due, until: wall + leaseMs } },
        { expectedVersion: doc.version },
      );
    } catch (e) {
      if (isConflict(e)) return; // another process took it first
      throw e;
    }
    running.add(job.id);
    try {
      await job.run(due);
    } catch (e) {
      onError(e, job.id);
    } finally {
      running.delete(job.id);
    }
    await documents
      .put<JobState>(KIND, job.id, { lastRunAt: due }, { expectedVersion: claimed.version })
      .catch((e) => {
        // Taken over after our lease ended: the other process records it.
        if (!isConflict(e)) throw e;
      });
    arm(job, job.nextRunAt(Math.max(due, clock.now())));
  }

  function tickJob(job: PeriodicJob): Promise<void> {
    if (stopped) return Promise.resolve();
    let t = ticking.get(job.id);
    if (!t) {
      t = once(job)
        .catch((e) => onError(e, job.id))
        .finally(() => ticking.delete(job.id));
      ticking.set(job.id, t);
    }
    return t;
  }

  const tick = async () => {
    await Promise.all(options.jobs.map((job) => tickJob(job)));
  };
  void tick();
  const poll = setInterval(() => void tick(), options.pollMs ?? 30_000);
  poll.unref();

  return {
    next: () => [...nextAt.entries()].map(([id, at]) => ({ id, at: new Date(at).toISOString() })),
    running: () => [...running],
    tick,
    stop() {
      stopped = true;
      clearInterval(poll);
      for (const h of handles.values()) clock.clearTimeout(h);
      handles.clear();
    },
  };
}

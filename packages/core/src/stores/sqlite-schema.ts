// The SQLite store's current row layout: how a step becomes SQL parameters, the PRAGMAs of
// every connection, and SQL for the case fields kept only in the JSON. The tables themselves are
// created and changed by sqlite-migrations.ts.
import type { EncodedStep } from './sqlite-writer.ts';
import { type CaseSortColumn, PRIORITY_RANK, type StepWrite } from './store.ts';

/** PRAGMAs for every connection. None of them relaxes durability. */
export const pragmas = (synchronous: string) =>
  `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; PRAGMA busy_timeout = 5000;
   PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;`;

/** SQL for the case columns kept only inside `data`. */
export const SQL_NAME = "json_extract(data, '$.customerName')";
export const RUN_FR = `(CASE WHEN status <> 'resolved' AND json_extract(data, '$.sla.firstRespondedAt') IS NULL THEN json_extract(data, '$.sla.firstResponseDue') END)`;
export const RUN_RD = `(CASE WHEN status <> 'resolved' THEN json_extract(data, '$.sla.resolutionDue') END)`;
export const SQL_SORT: Record<CaseSortColumn, string> = {
  id: 'id',
  status: 'status',
  priority: 'priority_rank',
  segment: 'segment',
  owner: 'owner',
  customerEmail: 'customer_email',
  customerName: SQL_NAME,
  nps: "json_extract(data, '$.nps')",
  csat: "json_extract(data, '$.csat')",
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  slaDue: `(CASE WHEN ${RUN_FR} IS NULL THEN ${RUN_RD} WHEN ${RUN_RD} IS NULL OR ${RUN_FR} < ${RUN_RD} THEN ${RUN_FR} ELSE ${RUN_RD} END)`,
};

/** The SQL parameters of one step, computed on the calling thread. */
export function encodeStep(step: StepWrite): EncodedStep {
  const { loop } = step;
  let next: number | null = null;
  const timers: [string, number][] = [];
  for (const t of step.timers) {
    timers.push([t.name, t.dueAt]);
    if (next === null || t.dueAt < next) next = t.dueAt;
  }
  const f = step.feedback;
  const c = step.case;
  return {
    op: 'step',
    loopId: loop.loopId,
    expectedVersion: step.expectedVersion ?? null,
    loop: [
      loop.loopId,
      loop.snapshot.state as string,
      loop.version,
      JSON.stringify(loop.snapshot),
      loop.updatedAt,
      JSON.stringify(timers),
      next,
    ],
    feedback: f
      ? [
          f.id,
          f.source.tool,
          f.source.responseId,
          new Date(f.receivedAt).toISOString(),
          f.nps ?? null,
          f.csat ?? null,
          f.customer.segment ?? null,
          f.touchpoint ?? null,
          f.language ?? null,
          f.customer.anonymous ? 1 : 0,
          JSON.stringify(f),
          loop.loopId,
        ]
      : null,
    case: c
      ? [
          c.id,
          c.loopId,
          c.status,
          c.priority,
          PRIORITY_RANK[c.priority],
          c.segment,
          c.owner,
          c.customerEmail,
          c.createdAt,
          c.updatedAt,
          JSON.stringify(c),
        ]
      : null,
    deliveries: step.deliveries.map((d) => [
      d.id,
      d.effect.loopId,
      d.connector,
      d.status,
      d.attempts,
      d.nextAttemptAt,
      d.lastError ?? null,
      JSON.stringify(d.effect),
    ]),
  };
}

/** An ISO instant normalised as stored (`toISOString`), or the fallback when absent. */
export function isoOr(value: string | undefined, fallback: string): string {
  return value === undefined ? fallback : new Date(value).toISOString();
}

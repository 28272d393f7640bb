// The read side of the PostgreSQL store: SQL for case filters and sorting, delivery rows, and
// one customer's rows for privacy jobs. `s` is the quoted schema name.
import type { Case } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { CustomerTx } from '../privacy/customer-rows.ts';
import { asList, dueSoonUntil } from './query.ts';
import type { CaseQuery, CaseSortColumn, Delivery, LoopRecord } from './store.ts';

type Row = Record<string, unknown>;

/** SQL for the case columns kept only inside `data` (text compared byte-wise, as the other stores do). */
const PG_NAME = `(data->>'customerName')`;
const PG_RUN_FR = `(CASE WHEN status <> 'resolved' AND data->'sla'->>'firstRespondedAt' IS NULL THEN data->'sla'->>'firstResponseDue' END) COLLATE "C"`;
const PG_RUN_RD = `(CASE WHEN status <> 'resolved' THEN data->'sla'->>'resolutionDue' END) COLLATE "C"`;
export const PG_SORT: Record<CaseSortColumn, string> = {
  id: 'id COLLATE "C"',
  status: 'status COLLATE "C"',
  priority: 'priority_rank',
  segment: 'segment COLLATE "C"',
  owner: 'owner COLLATE "C"',
  customerEmail: 'customer_email COLLATE "C"',
  customerName: `${PG_NAME} COLLATE "C"`,
  nps: `(data->>'nps')::integer`,
  csat: `(data->>'csat')::integer`,
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  slaDue: `(CASE WHEN ${PG_RUN_FR} IS NULL THEN ${PG_RUN_RD} WHEN ${PG_RUN_RD} IS NULL OR ${PG_RUN_FR} < ${PG_RUN_RD} THEN ${PG_RUN_FR} ELSE ${PG_RUN_RD} END)`,
};

export function filters(query: Omit<CaseQuery, 'sort' | 'order' | 'limit' | 'offset'>): {
  sql: string;
  params: unknown[];
} {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const inList = (column: string, values: string[] | undefined) => {
    if (!values) return;
    params.push(values);
    clauses.push(`${column} = ANY($${params.length}::text[])`);
  };
  inList('status', asList(query.status));
  inList('priority', asList(query.priority));
  inList('segment', asList(query.segment));
  inList('owner', asList(query.owner));
  if (query.search !== undefined && query.search !== '') {
    params.push(query.search.toLowerCase());
    const n = params.length;
    clauses.push(
      `(left(lower(id), length($${n}::text)) = $${n} OR strpos(lower(customer_email), $${n}) > 0 OR strpos(lower(coalesce(${PG_NAME}, '')), $${n}) > 0)`,
    );
  }
  if (query.from !== undefined) {
    params.push(query.from);
    clauses.push(`created_at >= $${params.length}::timestamptz`);
  }
  if (query.to !== undefined) {
    params.push(query.to);
    clauses.push(`created_at < $${params.length}::timestamptz`);
  }
  if (query.sla !== undefined) {
    const now = query.now ?? new Date().toISOString();
    params.push(now);
    const n = `$${params.length}::text COLLATE "C"`;
    if (query.sla === 'dueSoon') {
      params.push(dueSoonUntil(now));
      const u = `$${params.length}::text COLLATE "C"`;
      clauses.push(
        `((${PG_RUN_FR} >= ${n} AND ${PG_RUN_FR} < ${u}) OR (${PG_RUN_RD} >= ${n} AND ${PG_RUN_RD} < ${u}))`,
      );
    } else {
      clauses.push(
        `(json_array_length(data->'sla'->'breaches') > 0 OR ${PG_RUN_FR} < ${n} OR ${PG_RUN_RD} < ${n})`,
      );
    }
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export const rowToDelivery = (r: Row): Delivery => {
  const d: Delivery = {
    id: String(r.id),
    connector: String(r.connector),
    effect: r.effect as Delivery['effect'],
    status: r.status as Delivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
  };
  if (r.last_error !== null && r.last_error !== undefined) d.lastError = String(r.last_error);
  return d;
};
export const DELIVERY_COLUMNS = 'id, connector, effect, status, attempts, next_attempt_at, last_error';

/** One customer's rows, read and written through `run` (a pool, or one transaction's client). */
export const customerTx = (
  s: string,
  run: (sql: string, params: unknown[]) => Promise<Row[]>,
): CustomerTx => {
  const toLoop = (r: Row): LoopRecord => ({
    loopId: String(r.loop_id),
    snapshot: r.snapshot as LoopSnapshot,
    version: Number(r.version),
    updatedAt: String(r.updated_at),
  });
  return {
    async feedbackOf(emails, customerIds) {
      const rows = await run(
        `SELECT data FROM ${s}.feedback WHERE lower(data->'customer'->>'email') = ANY($1::text[])
         OR data->'customer'->>'id' = ANY($2::text[])`,
        [emails, customerIds],
      );
      return rows.map((r) => r.data as Feedback);
    },
    async casesOf(emails) {
      const rows = await run(`SELECT data FROM ${s}.cases WHERE lower(customer_email) = ANY($1::text[])`, [
        emails,
      ]);
      return rows.map((r) => r.data as Case);
    },
    async loopsOf(feedbackIds, loopIds) {
      const rows = await run(
        `SELECT loop_id, version, snapshot, updated_at FROM ${s}.loops WHERE loop_id = ANY($1::text[])
         OR snapshot->'context'->'feedback'->>'id' = ANY($2::text[])`,
        [loopIds, feedbackIds],
      );
      return rows.map(toLoop);
    },
    async casesOfLoops(loopIds) {
      const rows = await run(`SELECT data FROM ${s}.cases WHERE loop_id = ANY($1::text[])`, [loopIds]);
      return rows.map((r) => r.data as Case);
    },
    async deliveriesOf(loopIds) {
      const rows = await run(
        `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries WHERE loop_id = ANY($1::text[]) ORDER BY seq`,
        [loopIds],
      );
      return rows.map(rowToDelivery);
    },
    async loopPage(after, limit) {
      const rows = await run(
        `SELECT loop_id, version, snapshot, updated_at FROM ${s}.loops WHERE loop_id COLLATE "C" > $1
         ORDER BY loop_id COLLATE "C" LIMIT $2`,
        [after ?? '', limit],
      );
      return rows.map(toLoop);
    },
    async feedbackByIds(ids) {
      const rows = await run(`SELECT data FROM ${s}.feedback WHERE id = ANY($1::text[])`, [ids]);
      return rows.map((r) => r.data as Feedback);
    },
    async writeFeedback(f) {
      await run(`UPDATE ${s}.feedback SET data = $2::json WHERE id = $1`, [f.id, JSON.stringify(f)]);
    },
    async writeCase(c) {
      await run(
        `UPDATE ${s}.cases SET customer_email = $2, updated_at = $3::timestamptz, data = $4::json WHERE id = $1`,
        [c.id, c.customerEmail, c.updatedAt, JSON.stringify(c)],
      );
    },
    async writeLoop(rec) {
      await run(
        `UPDATE ${s}.loops SET state = $2, version = $3, snapshot = $4::json, updated_at = $5 WHERE loop_id = $1`,
        [rec.loopId, String(rec.snapshot.state), rec.version, JSON.stringify(rec.snapshot), rec.updatedAt],
      );
      await run(`DELETE FROM ${s}.timers WHERE loop_id = $1`, [rec.loopId]);
    },
    async writeDelivery(d) {
      await run(`UPDATE ${s}.deliveries SET status = $2, last_error = $3, effect = $4::json WHERE id = $1`, [
        d.id,
        d.status,
        d.lastError ?? null,
        JSON.stringify(d.effect),
      ]);
    },
  };
};

// The write side of the PostgreSQL store: a step as one SQL statement. `s` is the quoted schema.
import { PRIORITY_RANK, type StepWrite } from './store.ts';

/**
 * One step as one statement: data-modifying CTEs, each gated on the loop row having been
 * written (the version check), so a conflict writes nothing and the statement is atomic on its
 * own: one round trip, no explicit transaction.
 */
export function stepStatement(s: string, step: StepWrite): { sql: string; params: unknown[] } {
  const { loop } = step;
  const params: unknown[] = [];
  const $ = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const loopId = $(loop.loopId, 'text');
  const ctes: string[] = [];
  const values = [loopId, $(loop.snapshot.state, 'text'), $(loop.version, 'integer')];
  const snapshot = $(JSON.stringify(loop.snapshot), 'json');
  const updatedAt = $(loop.updatedAt, 'text');
  ctes.push(
    step.expectedVersion === undefined
      ? `l AS (INSERT INTO ${s}.loops (loop_id, state, version, snapshot, updated_at)
           VALUES (${values.join(', ')}, ${snapshot}, ${updatedAt}) ON CONFLICT (loop_id) DO NOTHING RETURNING 1)`
      : `l AS (UPDATE ${s}.loops SET state = ${values[1]}, version = ${values[2]}, snapshot = ${snapshot},
           updated_at = ${updatedAt} WHERE loop_id = ${loopId} AND version = ${$(step.expectedVersion, 'integer')}
           RETURNING 1)`,
  );
  const written = 'EXISTS (SELECT 1 FROM l)';
  const f = step.feedback;
  if (f) {
    ctes.push(`f AS (INSERT INTO ${s}.feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id)
      SELECT ${[
        $(f.id, 'text'),
        $(f.source.tool, 'text'),
        $(f.source.responseId, 'text'),
        $(f.receivedAt, 'timestamptz'),
        $(f.nps ?? null, 'smallint'),
        $(f.csat ?? null, 'smallint'),
        $(f.customer.segment ?? null, 'text'),
        $(f.touchpoint ?? null, 'text'),
        $(f.language ?? null, 'text'),
        $(f.customer.anonymous, 'boolean'),
        $(JSON.stringify(f), 'json'),
        loopId,
      ].join(', ')} WHERE ${written}
      ON CONFLICT (id) DO UPDATE SET nps = excluded.nps, csat = excluded.csat, segment = excluded.segment,
        touchpoint = excluded.touchpoint, language = excluded.language, anonymous = excluded.anonymous,
        data = excluded.data)`);
  }
  const c = step.case;
  if (c) {
    ctes.push(`c AS (INSERT INTO ${s}.cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data)
      SELECT ${[
        $(c.id, 'text'),
        $(c.loopId, 'text'),
        $(c.status, 'text'),
        $(c.priority, 'text'),
        $(PRIORITY_RANK[c.priority], 'smallint'),
        $(c.segment, 'text'),
        $(c.owner, 'text'),
        $(c.customerEmail, 'text'),
        $(c.createdAt, 'timestamptz'),
        $(c.updatedAt, 'timestamptz'),
        $(JSON.stringify(c), 'json'),
      ].join(', ')} WHERE ${written}
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
        priority_rank = excluded.priority_rank, segment = excluded.segment, owner = excluded.owner,
        customer_email = excluded.customer_email, updated_at = excluded.updated_at, data = excluded.data)`);
  }
  // The loop's timers become exactly the step's: drop the others, upsert these (disjoint rows,
  // so the two parts of one statement never touch the same row).
  const names =
    step.expectedVersion !== undefined || step.timers.length > 0
      ? $(
          step.timers.map((t) => t.name),
          'text[]',
        )
      : '';
  if (step.expectedVersion !== undefined) {
    ctes.push(
      `td AS (DELETE FROM ${s}.timers WHERE loop_id = ${loopId} AND NOT (name = ANY(${names})) AND ${written})`,
    );
  }
  if (step.timers.length > 0) {
    ctes.push(`ti AS (INSERT INTO ${s}.timers AS cur (loop_id, name, due_at)
      SELECT * FROM unnest(${$(
        step.timers.map((t) => t.loopId),
        'text[]',
      )}, ${names}, ${$(
        step.timers.map((t) => String(t.dueAt)),
        'bigint[]',
      )}) WHERE ${written}
      ON CONFLICT (loop_id, name) DO UPDATE SET due_at = excluded.due_at,
        claimed_by = CASE WHEN cur.due_at = excluded.due_at THEN cur.claimed_by END,
        lease_until = CASE WHEN cur.due_at = excluded.due_at THEN cur.lease_until END)`);
  }
  const ds = step.deliveries;
  if (ds.length > 0) {
    ctes.push(`d AS (INSERT INTO ${s}.deliveries (id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect)
      SELECT id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect
      FROM unnest(${[
        $(
          ds.map((d) => d.id),
          'text[]',
        ),
        $(
          ds.map((d) => d.effect.loopId),
          'text[]',
        ),
        $(
          ds.map((d) => d.connector),
          'text[]',
        ),
        $(
          ds.map((d) => d.status),
          'text[]',
        ),
        $(
          ds.map((d) => d.attempts),
          'integer[]',
        ),
        $(
          ds.map((d) => String(d.nextAttemptAt)),
          'bigint[]',
        ),
        $(
          ds.map((d) => d.lastError ?? null),
          'text[]',
        ),
        $(
          ds.map((d) => JSON.stringify(d.effect)),
          'json[]',
        ),
      ].join(', ')}) WITH ORDINALITY
        AS u(id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect, ord)
      WHERE ${written} ORDER BY ord
      ON CONFLICT (id) DO NOTHING)`);
  }
  return {
    sql: `WITH ${ctes.join(',\n')}
      SELECT (SELECT count(*) FROM l)::integer AS written`,
    params,
  };
}

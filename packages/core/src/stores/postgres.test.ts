import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, test } from 'vitest';
// The run's throwaway server (started by test/global-setup.ts) is itself tested at the end.
import { findPostgresBin, removeStale, startPostgres } from '../../../../test/postgres.ts';
import { ClosedLoopError } from '../errors.ts';
import {
  caseFor,
  deliveryFor,
  feedbackFor,
  firstStep,
  nextStep,
  storeConformance,
  timer,
} from './conformance.ts';
import { postgresStore, redactConnectionString } from './postgres.ts';
import { migratePostgres, POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import type { Store } from './store.ts';

const url = inject('pgUrl');
const schemas = new WeakMap<Store, string>();
let n = 0;
const runId = `${process.pid}_${Date.now().toString(36)}`;
const nextSchema = () => `t_${runId}_${n++}`;

function make(schema = nextSchema()): Store {
  const store = postgresStore({ connectionString: url, schema, max: 4 });
  schemas.set(store, schema);
  return store;
}

storeConformance('postgres', async () => make(), {
  reopen: async (closed) => make(schemas.get(closed)!),
});

describe('postgresStore', () => {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  afterAll(async () => {
    await admin.end();
  });

  const errorOf = async (p: Promise<unknown>): Promise<ClosedLoopError> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ClosedLoopError);
    return e as ClosedLoopError;
  };

  test('two stores (two pools) committing to the same loop: exactly one wins, the others get CONFLICT', async () => {
    const schema = nextSchema();
    const stores = [make(schema), make(schema), make(schema)];
    try {
      await Promise.all(stores.map((s) => s.init()));
      // A new loop created from three processes at once.
      const created = await Promise.allSettled(stores.map((s) => s.commit(firstStep('l1'))));
      expect(created.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of created) {
        if (r.status === 'rejected') expect((r.reason as ClosedLoopError).code).toBe('CONFLICT');
      }
      // Then the same step from version 1, many times over.
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % 3]!.commit(
            nextStep('l1', 1, {
              case: caseFor('l1', { owner: `o${i}`, version: 2 }),
              timers: [timer('l1', 'resolution', 1_000 + i)],
              deliveries: [deliveryFor('l1', `k${i}`)],
            }),
          ),
        ),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect((r.reason as ClosedLoopError).code).toBe('CONFLICT');
          expect((r.reason as ClosedLoopError).message).toContain('stored version 2, expected 1');
        }
      }
      const w = winners[0]!;
      const reader = stores[0]!;
      expect((await reader.getCase('case-l1'))?.owner).toBe(`o${w}`);
      expect(await reader.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual([
        timer('l1', 'resolution', 1_000 + w),
      ]);
      expect((await reader.listDeliveries()).map((d) => d.id)).toEqual([`l1:k${w}@email`]);
      expect((await reader.getLoop('l1'))?.version).toBe(2);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('a commit failing mid-way (a constraint violation) leaves nothing of its step', async () => {
    const store = make();
    try {
      await store.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a')] }));
      // Another feedback id for the same survey response breaks UNIQUE (tool, response_id),
      // after the loop row was already written in the transaction.
      const clash = feedbackFor('l2', { source: feedbackFor('l1').source });
      const e1 = await errorOf(
        store.commit(
          firstStep('l2', {
            feedback: clash,
            timers: [timer('l2', 'firstResponse', 5)],
            deliveries: [deliveryFor('l2', 'a')],
          }),
        ),
      );
      expect(e1.code).toBe('STORE');
      expect(await store.getLoop('l2')).toBeUndefined();
      expect(await store.getCase('case-l2')).toBeUndefined();
      expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      expect((await store.listDeliveries()).map((d) => d.id)).toEqual(['l1:a@email']);

      // The last write of a step (a delivery with an impossible status) fails: the loop's new
      // version, its case, feedback and timers are rolled back too.
      const bad = deliveryFor('l1', 'b', { status: 'lost' as never });
      const e2 = await errorOf(
        store.commit(
          nextStep('l1', 1, {
            feedback: feedbackFor('l1', { nps: 10 }),
            case: caseFor('l1', { status: 'resolved', version: 2 }),
            timers: [timer('l1', 'resurvey', 9)],
            deliveries: [deliveryFor('l1', 'c'), bad],
          }),
        ),
      );
      expect(e2.code).toBe('STORE');
      expect((await store.getLoop('l1'))?.version).toBe(1);
      expect((await store.getCase('case-l1'))?.status).toBe('new');
      expect((await store.getFeedback('fb-l1'))?.nps).toBe(3);
      expect(await store.dueTimers(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      expect((await store.listDeliveries()).map((d) => d.id)).toEqual(['l1:a@email']);
      // The pool's connections are still good afterwards.
      await store.commit(nextStep('l1', 1));
      expect((await store.getLoop('l1'))?.version).toBe(2);
    } finally {
      await store.close();
    }
  });

  test('tables have columns for reporting in SQL, in the chosen schema', async () => {
    const schema = nextSchema();
    const store = make(schema);
    try {
      await store.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a')] }));
      const f = await admin.query(
        `SELECT tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data->>'comment' AS comment
         FROM "${schema}".feedback`,
      );
      expect(f.rows).toEqual([
        {
          tool: 'conformance',
          response_id: 'resp-l1',
          received_at: new Date(feedbackFor('l1').receivedAt),
          nps: 3,
          csat: null,
          segment: 'spain',
          touchpoint: 'delivery',
          language: 'es',
          anonymous: false,
          comment: feedbackFor('l1').comment,
        },
      ]);
      const c = await admin.query(
        `SELECT status, priority, segment, owner, customer_email, created_at FROM "${schema}".cases`,
      );
      expect(c.rows).toEqual([
        {
          status: 'new',
          priority: 'high',
          segment: 'spain',
          owner: 'ana',
          customer_email: 'l1@example.com',
          created_at: new Date(caseFor('l1').createdAt),
        },
      ]);
      const l = await admin.query(`SELECT state, version FROM "${schema}".loops`);
      expect(l.rows).toEqual([{ state: 'acting.new', version: 1 }]);
      const d = await admin.query(`SELECT loop_id, connector, status FROM "${schema}".deliveries`);
      expect(d.rows).toEqual([{ loop_id: 'l1', connector: 'email', status: 'pending' }]);
    } finally {
      await store.close();
    }
  });

  test('a role without CREATE rights uses tables a migration role made', async () => {
    const schema = nextSchema();
    const owner = make(schema);
    const role = `app_${runId}`;
    await owner.init();
    await owner.close();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    await admin.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${schema}" TO ${role}`);
    const roleUrl = url.replace('postgres@', `${role}@`);
    const app = postgresStore({ connectionString: roleUrl, schema });
    try {
      await app.init();
      await app.commit(firstStep('l1', { deliveries: [deliveryFor('l1', 'a')] }));
      expect((await app.getCase('case-l1'))?.id).toBe('case-l1');
    } finally {
      await app.close();
    }
    // The role really cannot create anything.
    const client = new pg.Client({ connectionString: roleUrl });
    await client.connect();
    try {
      await expect(client.query(`CREATE SCHEMA "x_${runId}"`)).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });

  test('a schema from before versioning (no lease columns) is migrated in order, once, keeping its rows', async () => {
    const schema = nextSchema();
    const first = make(schema);
    await first.commit(
      firstStep('l1', { deliveries: [deliveryFor('l1', 'a')], timers: [timer('l1', 'resolution', 5)] }),
    );
    await first.close();
    // Wind the schema back to what an older closedloop created: no versions, no lease columns.
    await admin.query(`DROP TABLE "${schema}".schema_migrations;
      ALTER TABLE "${schema}".deliveries DROP COLUMN claimed_by, DROP COLUMN lease_until;
      ALTER TABLE "${schema}".timers DROP COLUMN claimed_by, DROP COLUMN lease_until`);
    const stores = [make(schema), make(schema), make(schema)];
    try {
      await Promise.all(stores.map((st) => st.init()));
      const versions = await admin.query(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      expect(versions.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
      const lease = { owner: 'p1', now: 1, until: 60_001 };
      expect((await stores[0]!.claimDeliveries(Date.now(), 10, lease)).map((d) => d.id)).toEqual([
        'l1:a@email',
      ]);
      expect(await stores[1]!.claimTimers(10, 10, lease)).toEqual([timer('l1', 'resolution', 5)]);
      const held = await admin.query(`SELECT claimed_by FROM "${schema}".deliveries`);
      expect(held.rows).toEqual([{ claimed_by: 'p1' }]);
    } finally {
      for (const st of stores) await st.close();
    }
  });

  test('a schema of the previous release (steps 1-2) upgrades in place: rows intact, loop_id filled, view for learn', async () => {
    const schema = nextSchema();
    await migratePostgres(admin, schema, POSTGRES_MIGRATIONS.slice(0, 2));
    // Rows as the previous release wrote them: feedback without loop_id.
    const step = firstStep('l1', { deliveries: [deliveryFor('l1', 'a')] });
    const f = step.feedback!;
    await admin.query(
      `INSERT INTO "${schema}".loops (loop_id, state, version, snapshot, updated_at) VALUES ($1, $2, 1, $3, $4)`,
      ['l1', step.loop.snapshot.state, JSON.stringify(step.loop.snapshot), step.loop.updatedAt],
    );
    await admin.query(
      `INSERT INTO "${schema}".feedback (id, tool, response_id, received_at, anonymous, data) VALUES ($1, $2, $3, $4, false, $5)`,
      [f.id, f.source.tool, f.source.responseId, f.receivedAt, JSON.stringify(f)],
    );
    const store = make(schema);
    try {
      await store.init();
      expect(await store.getLoop('l1')).toMatchObject({ loopId: 'l1', version: 1 });
      expect(await store.getFeedback('fb-l1')).toEqual(JSON.parse(JSON.stringify(f)));
      await store.commit(firstStep('l2'));
      const rows = await admin.query(`SELECT id, loop_id FROM "${schema}".learn_feedback ORDER BY id`);
      expect(rows.rows).toEqual([
        { id: 'fb-l1', loop_id: 'l1' },
        { id: 'fb-l2', loop_id: 'l2' },
      ]);
      const versions = await admin.query(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      expect(versions.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await store.close();
    }
  });

  test('a schema at a newer version than this code knows is refused, naming both versions, and left untouched', async () => {
    const schema = nextSchema();
    await migratePostgres(admin, schema, POSTGRES_MIGRATIONS.slice(0, 2));
    const future = POSTGRES_MIGRATIONS.length + 1;
    await admin.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [future]);
    const store = make(schema);
    try {
      const e = await errorOf(store.init());
      expect(e.code).toBe('STORE');
      expect(e.message).toContain(`version ${future}, newer than this closedloop knows (${future - 1})`);
      const column = await admin.query(
        `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'feedback' AND column_name = 'loop_id'`,
        [schema],
      );
      expect(column.rows).toEqual([]);
      expect(
        (await admin.query('SELECT to_regclass($1) AS v', [`"${schema}".learn_feedback`])).rows[0].v,
      ).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('processes on their own pools claim disjoint deliveries', async () => {
    const schema = nextSchema();
    const stores = [make(schema), make(schema), make(schema)];
    try {
      await stores[0]!.commit(
        firstStep('l1', { deliveries: Array.from({ length: 60 }, (_, i) => deliveryFor('l1', `k${i}`)) }),
      );
      const claimed: string[] = [];
      await Promise.all(
        stores.map(async (st, i) => {
          for (let round = 0; round < 30; round++) {
            const got = await st.claimDeliveries(Date.now(), 3, { owner: `p${i}`, now: 1, until: 60_001 });
            if (got.length === 0) return;
            claimed.push(...got.map((d) => d.id));
          }
        }),
      );
      expect(claimed).toHaveLength(60);
      expect(new Set(claimed).size).toBe(60);
    } finally {
      for (const st of stores) await st.close();
    }
  });

  test('tables are created on first use, without init()', async () => {
    const store = make();
    try {
      await store.commit(firstStep('l1'));
      expect((await store.getLoop('l1'))?.version).toBe(1);
    } finally {
      await store.close();
    }
  });

  test('stores initialising the same schema at once do not collide', async () => {
    const schema = nextSchema();
    const stores = Array.from({ length: 5 }, () => make(schema));
    try {
      await Promise.all(stores.map((s) => s.init()));
      await stores[3]!.commit(firstStep('l1'));
      expect((await stores[1]!.getLoop('l1'))?.version).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('a pool you pass in is used and left open on close()', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const store = postgresStore({ pool, schema: nextSchema() });
      await store.commit(firstStep('l1'));
      await store.close();
      await errorOf(store.getLoop('l1'));
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  test('options are checked: schema names and a way to connect', () => {
    for (const schema of ['bad-name', 'x"; DROP SCHEMA public; --', '', '1abc']) {
      expect(() => postgresStore({ connectionString: url, schema })).toThrow(/schema name/);
    }
    expect(() => postgresStore({})).toThrow(/connectionString or a pool/);
  });

  test('errors never show the password of the connection string', async () => {
    const secretUrl = 'postgres://alice:s3cr%40t-pw@127.0.0.1:1/db?sslmode=disable';
    const store = postgresStore({ connectionString: secretUrl, schema: nextSchema() });
    try {
      const e = await errorOf(store.getCase('x'));
      expect(e.code).toBe('STORE');
      expect(e.message).toContain('127.0.0.1:1');
      expect(e.message).not.toMatch(/s3cr/);
      expect(String(e.stack)).not.toMatch(/s3cr/);
    } finally {
      await store.close();
    }
    expect(redactConnectionString(secretUrl)).toBe('postgres://alice:***@127.0.0.1:1/db?sslmode=disable');
    expect(redactConnectionString('postgres://bob:pw@host/db?password=other')).not.toMatch(/pw|other/);
    expect(redactConnectionString('not a url user:hunter2@host')).not.toMatch(/hunter2/);
  });

  test('epoch milliseconds and JSON with unusual characters survive', async () => {
    const store = make();
    try {
      const f = feedbackFor('l1', { comment: 'tab\t, newline\n, emoji 🧪, quote " and \\ backslash, 漢字' });
      await store.commit(
        firstStep('l1', { feedback: f, timers: [timer('l1', 'resurvey', 8_640_000_000_000_000)] }),
      );
      expect(await store.getFeedback('fb-l1')).toEqual(f);
      expect(await store.nextTimerDueAt()).toBe(8_640_000_000_000_000);
    } finally {
      await store.close();
    }
  });
});

describe('test PostgreSQL server', () => {
  test('the run has a server on loopback', async () => {
    const url = inject('pgUrl');
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = await client.query(
        "SELECT current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync",
      );
      expect(r.rows).toEqual([{ listen: '127.0.0.1', fsync: 'off' }]);
    } finally {
      await client.end();
    }
  });

  test('missing server binaries fail with the command that installs them', () => {
    const empty = mkdtempSync(join(tmpdir(), 'closedloop-nopg-'));
    try {
      expect(() => findPostgresBin(join(empty, 'none'))).toThrow(
        'CLOSEDLOOP_NEED_PG=1 bash scripts/tools.sh',
      );
      mkdirSync(join(empty, '15', 'bin'), { recursive: true });
      writeFileSync(join(empty, '15', 'bin', 'initdb'), '');
      expect(() => findPostgresBin(empty)).toThrow(/initdb, pg_ctl/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('the newest installed version is used', () => {
    const root = mkdtempSync(join(tmpdir(), 'closedloop-pgbins-'));
    try {
      for (const v of ['9.6', '16', '15']) {
        mkdirSync(join(root, v, 'bin'), { recursive: true });
        for (const b of ['initdb', 'pg_ctl', 'postgres']) writeFileSync(join(root, v, 'bin', b), '');
      }
      expect(findPostgresBin(root)).toBe(join(root, '16', 'bin'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a second server starts beside the first (fresh folder and port), and stops cleanly', async () => {
    const second = await startPostgres();
    try {
      expect(second.url).not.toBe(inject('pgUrl'));
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await second.stop();
      await second.stop();
    }
    const client = new pg.Client({ connectionString: second.url, connectionTimeoutMillis: 2_000 });
    await expect(client.connect()).rejects.toThrow();
  });

  test("leftovers of a killed run are removed; a living run's folder is kept", () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = mkdtempSync(join(tmpdir(), 'closedloop-pg-'));
    writeFileSync(join(stale, 'owner'), String(dead));
    const living = mkdtempSync(join(tmpdir(), 'closedloop-pg-'));
    writeFileSync(join(living, 'owner'), String(process.pid));
    try {
      removeStale();
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(living)).toBe(true);
    } finally {
      rmSync(stale, { recursive: true, force: true });
      rmSync(living, { recursive: true, force: true });
    }
  });
});

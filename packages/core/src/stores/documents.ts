import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { ClosedLoopError } from '../errors.ts';
import type { DocumentRecord, DocumentStore } from './store.ts';

// The documents table on each store: `(kind, id)` keys, a JSON value, a version for
// compare-and-set. Small and rarely written, so every store writes it directly (on SQLite from
// the calling thread, in its own short transaction beside the writer thread's batches).

const KEY = /^[\w.:@/-]{1,200}$/;

function checkKey(kind: string, id: string): void {
  if (!KEY.test(kind)) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid document kind "${kind.slice(0, 60)}": use 1–200 letters, digits and . : @ / - _`,
    );
  }
  if (typeof id !== 'string' || id.length === 0 || id.length > 500) {
    throw new ClosedLoopError('INVALID_INPUT', 'A document id is a string of 1 to 500 characters');
  }
}

const conflict = (kind: string, id: string, expected: number, stored: number | undefined) =>
  new ClosedLoopError(
    'CONFLICT',
    `Document ${kind}/${id} changed meanwhile (stored version ${stored ?? 'none'}, expected ${expected === 0 ? 'none' : expected}); read it again and retry`,
  );

const escapeLike = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Documents in memory (the memory store's). */
export function memoryDocuments(open: () => void): DocumentStore {
  const docs = new Map<string, DocumentRecord>();
  const key = (kind: string, id: string) => `${kind}\u0000${id}`;
  return {
    async get<T>(kind: string, id: string) {
      open();
      const d = docs.get(key(kind, id));
      return d && (structuredClone(d) as DocumentRecord<T>);
    },
    async list<T>(kind: string, options: { prefix?: string; limit?: number } = {}) {
      open();
      const out = [...docs.values()]
        .filter((d) => d.kind === kind && (options.prefix === undefined || d.id.startsWith(options.prefix)))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return structuredClone(
        options.limit === undefined ? out : out.slice(0, options.limit),
      ) as DocumentRecord<T>[];
    },
    async put<T>(
      kind: string,
      id: string,
      value: T,
      options: { expectedVersion?: number; now?: number } = {},
    ) {
      open();
      checkKey(kind, id);
      const current = docs.get(key(kind, id));
      if (options.expectedVersion !== undefined && (current?.version ?? 0) !== options.expectedVersion) {
        throw conflict(kind, id, options.expectedVersion, current?.version);
      }
      const record: DocumentRecord<T> = {
        kind,
        id,
        value: structuredClone(value),
        version: (current?.version ?? 0) + 1,
        updatedAt: options.now ?? Date.now(),
      };
      docs.set(key(kind, id), record);
      return structuredClone(record);
    },
    async delete(kind: string, id: string) {
      open();
      return docs.delete(key(kind, id));
    },
  };
}

export const SQLITE_DOCUMENTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;`;

type Row = Record<string, SQLInputValue>;

const fromRow = <T>(r: Row): DocumentRecord<T> => ({
  kind: String(r.kind),
  id: String(r.id),
  value: JSON.parse(String(r.value)) as T,
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});

/** Documents in a SQLite database, on the given (calling-thread) connection. */
export function sqliteDocuments(db: DatabaseSync, open: () => void): DocumentStore {
  db.exec(SQLITE_DOCUMENTS_SCHEMA);
  const select = db.prepare(
    'SELECT kind, id, version, updated_at, value FROM documents WHERE kind = ? AND id = ?',
  );
  return {
    async get<T>(kind: string, id: string) {
      open();
      const r = select.get(kind, id) as Row | undefined;
      return r && fromRow<T>(r);
    },
    async list<T>(kind: string, options: { prefix?: string; limit?: number } = {}) {
      open();
      const params: SQLInputValue[] = [kind];
      let sql = 'SELECT kind, id, version, updated_at, value FROM documents WHERE kind = ?';
      if (options.prefix !== undefined) {
        sql += " AND id LIKE ? ESCAPE '\\'";
        params.push(`${escapeLike(options.prefix)}%`);
      }
      sql += ' ORDER BY id';
      if (options.limit !== undefined) {
        sql += ' LIMIT ?';
        params.push(options.limit);
      }
      return (db.prepare(sql).all(...params) as Row[]).map((r) => fromRow<T>(r));
    },
    async put<T>(
      kind: string,
      id: string,
      value: T,
      options: { expectedVersion?: number; now?: number } = {},
    ) {
      open();
      checkKey(kind, id);
      const json = JSON.stringify(value);
      const now = options.now ?? Date.now();
      db.exec('BEGIN IMMEDIATE');
      try {
        const current = select.get(kind, id) as Row | undefined;
        const stored = current ? Number(current.version) : undefined;
        if (options.expectedVersion !== undefined && (stored ?? 0) !== options.expectedVersion) {
          throw conflict(kind, id, options.expectedVersion, stored);
        }
        const version = (stored ?? 0) + 1;
        db.prepare(
          `INSERT INTO documents (kind, id, version, updated_at, value) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, value = excluded.value`,
        ).run(kind, id, version, now, json);
        db.exec('COMMIT');
        return { kind, id, value: JSON.parse(json) as T, version, updatedAt: now };
      } catch (e) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw e;
      }
    },
    async delete(kind: string, id: string) {
      open();
      return Number(db.prepare('DELETE FROM documents WHERE kind = ? AND id = ?').run(kind, id).changes) > 0;
    },
  };
}

export const postgresDocumentsDdl = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.documents (
  kind text NOT NULL, id text NOT NULL, version integer NOT NULL, updated_at bigint NOT NULL,
  value jsonb NOT NULL, PRIMARY KEY (kind, id));`;

type PgRow = Record<string, unknown>;
type Query = (
  what: string,
  sql: string,
  params?: unknown[],
) => Promise<{ rows: PgRow[]; rowCount: number | null }>;

const fromPg = <T>(r: PgRow): DocumentRecord<T> => ({
  kind: String(r.kind),
  id: String(r.id),
  value: r.value as T,
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});

/** Documents in PostgreSQL schema `s` (quoted), through the store's query function. */
export function postgresDocuments(s: string, query: Query): DocumentStore {
  const columns = 'kind, id, version, updated_at, value';
  return {
    async get<T>(kind: string, id: string) {
      const r = await query(
        'document read',
        `SELECT ${columns} FROM ${s}.documents WHERE kind = $1 AND id = $2`,
        [kind, id],
      );
      return r.rows[0] && fromPg<T>(r.rows[0]);
    },
    async list<T>(kind: string, options: { prefix?: string; limit?: number } = {}) {
      const params: unknown[] = [kind];
      let sql = `SELECT ${columns} FROM ${s}.documents WHERE kind = $1`;
      if (options.prefix !== undefined) {
        params.push(`${escapeLike(options.prefix)}%`);
        sql += ` AND id LIKE $${params.length} ESCAPE '\\'`;
      }
      sql += ' ORDER BY id COLLATE "C"';
      if (options.limit !== undefined) {
        params.push(options.limit);
        sql += ` LIMIT $${params.length}`;
      }
      return (await query('document list', sql, params)).rows.map((r) => fromPg<T>(r));
    },
    async put<T>(
      kind: string,
      id: string,
      value: T,
      options: { expectedVersion?: number; now?: number } = {},
    ) {
      checkKey(kind, id);
      const json = JSON.stringify(value);
      const now = options.now ?? Date.now();
      const expected = options.expectedVersion;
      let r: { rows: PgRow[] };
      if (expected === undefined) {
        r = await query(
          'document write',
          `INSERT INTO ${s}.documents AS d (${columns}) VALUES ($1, $2, 1, $3, $4::jsonb)
           ON CONFLICT (kind, id) DO UPDATE SET version = d.version + 1, updated_at = excluded.updated_at, value = excluded.value
           RETURNING ${columns}`,
          [kind, id, now, json],
        );
      } else if (expected === 0) {
        r = await query(
          'document write',
          `INSERT INTO ${s}.documents (${columns}) VALUES ($1, $2, 1, $3, $4::jsonb)
           ON CONFLICT (kind, id) DO NOTHING RETURNING ${columns}`,
          [kind, id, now, json],
        );
      } else {
        r = await query(
          'document write',
          `UPDATE ${s}.documents SET version = version + 1, updated_at = $3, value = $4::jsonb
           WHERE kind = $1 AND id = $2 AND version = $5 RETURNING ${columns}`,
          [kind, id, now, json, expected],
        );
      }
      const row = r.rows[0];
      if (!row) {
        const current = await this.get(kind, id);
        throw conflict(kind, id, expected ?? 0, current?.version);
      }
      return fromPg<T>(row);
    },
    async delete(kind: string, id: string) {
      const r = await query('document delete', `DELETE FROM ${s}.documents WHERE kind = $1 AND id = $2`, [
        kind,
        id,
      ]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}

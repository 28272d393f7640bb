import pg from 'pg';
import { startPostgres } from './test/postgres.ts';
const server = await startPostgres();
const pool = new pg.Pool({ connectionString: server.url });
const doc = '{"customerName":"nul\\u0000x","rootCause":"c","sla":{"breaches":[{"kind":"resolution"}]},"resolvedAt":"2026-01-01T00:00:00Z"}';
for (const q of [
  `SELECT $1::json #>> '{rootCause}' AS v`,
  `SELECT $1::json #> '{rootCause}' AS v`,
  `SELECT $1::json -> 'rootCause' AS v`,
  `SELECT $1::json ->> 'rootCause' AS v`,
  `SELECT json_array_length($1::json #> '{sla,breaches}') AS v`,
  `SELECT ($1::json -> 'sla' -> 'breaches') AS v`,
  `SELECT $1::jsonb ->> 'rootCause' AS v`,
]) {
  try { console.log(q, (await pool.query(q, [doc])).rows[0]); } catch (e) { console.log(q, 'ERR', (e as Error).message); }
}
await pool.end(); await server.stop();

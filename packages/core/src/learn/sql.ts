// SQL fragments with their parameters, and the few expressions that differ between SQLite and
// PostgreSQL. Every value reaches the database as a parameter; only code constants are inlined.
import type { SqlExecutor, SqlParam } from './executor.ts';

export interface Frag {
  readonly text: string;
  readonly params: readonly SqlParam[];
}

export function isFrag(v: unknown): v is Frag {
  return typeof v === 'object' && v !== null && 'text' in v && 'params' in v;
}

/** A tagged template: interpolated fragments are inlined, every other value becomes a `?` parameter. */
export function sql(strings: TemplateStringsArray, ...values: (Frag | SqlParam)[]): Frag {
  let text = strings[0] ?? '';
  const params: SqlParam[] = [];
  values.forEach((v, i) => {
    if (isFrag(v)) {
      text += v.text;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1] ?? '';
  });
  return { text, params };
}

/** Code-owned SQL text (never user input). */
export function raw(text: string): Frag {
  return { text, params: [] };
}

export function joinSql(frags: readonly Frag[], separator: string): Frag {
  return {
    text: frags.map((f) => f.text).join(separator),
    params: frags.flatMap((f) => [...f.params]),
  };
}

/** `?, ?, ?` for a list of values. */
export function list(values: readonly SqlParam[]): Frag {
  return { text: values.map(() => '?').join(', '), params: [...values] };
}

/** A text parameter with a type PostgreSQL can infer wherever it stands. */
export function text(value: string): Frag {
  return sql`CAST(${value} AS TEXT)`;
}

export type Dialect = SqlExecutor['dialect'];
export type Period = 'day' | 'week' | 'month' | 'quarter';

/** Dialect-specific expressions. `path` arguments are code constants such as `['sla', 'breaches']`. */
export interface DialectSql {
  /** The start (UTC date `YYYY-MM-DD`) of the period a timestamp column falls in. */
  bucket(column: string, period: Period): string;
  /** The UTC day (`YYYY-MM-DD` in SQLite, a `date` in PostgreSQL) of a timestamp column: a rollup key. */
  day(column: string): string;
  /** The start (`YYYY-MM-DD`) of the period a rollup's `day` column falls in. */
  dayBucket(column: string, period: Period): string;
  /** Natural logarithm; the larger of two numbers. */
  ln(x: string): string;
  greatest(a: string, b: string): string;
  /** A JSON field as text. */
  jsonText(column: string, path: readonly string[]): string;
  /** A JSON field as a number. */
  jsonNumber(column: string, path: readonly string[]): string;
  /** Milliseconds from timestamp `a` to timestamp `b` (either may be a JSON text expression or `?`). */
  millisBetween(a: string, b: string): string;
  /** True when the JSON array at `path` holds an object whose `key` equals the constant `value`. */
  jsonArrayHasObject(column: string, path: readonly string[], key: string, value: string): string;
  /** True when the JSON array of strings at `path` holds the constant `value`. */
  jsonArrayHasText(column: string, path: readonly string[], value: string): string;
  /** Rows `(value)` of a JSON array of strings, for `FROM x, <this> AS t` (column `value`). */
  jsonTextElements(column: string, path: readonly string[]): string;
  /** Rows of a JSON array of objects (column `value`), and a field of one element as text. */
  jsonElements(column: string, path: readonly string[]): string;
  elementText(alias: string, key: string): string;
  /** True when the JSON array at `path` is present and not empty. */
  jsonArrayNotEmpty(column: string, path: readonly string[]): string;
}

const constant = (s: string) => {
  if (!/^[A-Za-z0-9_.]+$/.test(s)) throw new Error(`Not a SQL constant: ${s}`);
  return s;
};
const jsonPath = (path: readonly string[]) => `'$.${path.map(constant).join('.')}'`;
const pgPath = (path: readonly string[]) => `'{${path.map(constant).join(',')}}'`;

const sqliteSql: DialectSql = {
  bucket(c, period) {
    switch (period) {
      case 'day':
        return `substr(${c}, 1, 10)`;
      case 'week':
        return `date(${c}, 'weekday 0', '-6 days')`;
      case 'month':
        return `(substr(${c}, 1, 7) || '-01')`;
      case 'quarter':
        return `(substr(${c}, 1, 5) || printf('%02d', ((CAST(substr(${c}, 6, 2) AS INTEGER) - 1) / 3) * 3 + 1) || '-01')`;
    }
  },
  day: (c) => `substr(${c}, 1, 10)`,
  dayBucket(c, period) {
    return sqliteSql.bucket(c, period);
  },
  ln: (x) => `ln(${x})`,
  greatest: (a, b) => `max(${a}, ${b})`,
  jsonText: (c, p) => `json_extract(${c}, ${jsonPath(p)})`,
  jsonNumber: (c, p) => `json_extract(${c}, ${jsonPath(p)})`,
  millisBetween: (a, b) => `CAST(ROUND((julianday(${b}) - julianday(${a})) * 86400000.0) AS INTEGER)`,
  jsonArrayHasObject: (c, p, k, v) =>
    `EXISTS (SELECT 1 FROM json_each(${c}, ${jsonPath(p)}) je WHERE json_extract(je.value, '$.${constant(k)}') = '${constant(v)}')`,
  jsonArrayHasText: (c, p, v) =>
    `EXISTS (SELECT 1 FROM json_each(${c}, ${jsonPath(p)}) je WHERE je.value = '${constant(v)}')`,
  jsonTextElements: (c, p) => `json_each(${c}, ${jsonPath(p)})`,
  jsonElements: (c, p) => `json_each(${c}, ${jsonPath(p)})`,
  elementText: (a, k) => `json_extract(${a}.value, '$.${constant(k)}')`,
  jsonArrayNotEmpty: (c, p) => `COALESCE(json_array_length(${c}, ${jsonPath(p)}), 0) > 0`,
};

const pgTs = (e: string) => (e === '?' ? 'CAST(? AS timestamptz)' : `(${e})::timestamptz`);
// The store keeps records as `json`; `::json` is a no-op there and keeps a `jsonb` column working.
// json operators read the text once, without building a jsonb value per row.
const postgresSql: DialectSql = {
  bucket: (c, period) =>
    `to_char(date_trunc('${period}', (${c})::timestamptz AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
  day: (c) => `((${c})::timestamptz AT TIME ZONE 'UTC')::date`,
  dayBucket: (c, period) => `to_char(date_trunc('${period}', (${c})::timestamp), 'YYYY-MM-DD')`,
  ln: (x) => `ln(${x})`,
  greatest: (a, b) => `greatest(${a}, ${b})`,
  jsonText: (c, p) => `((${c})::json #>> ${pgPath(p)})`,
  jsonNumber: (c, p) => `((${c})::json #>> ${pgPath(p)})::double precision`,
  millisBetween: (a, b) => `round(extract(epoch from (${pgTs(b)} - ${pgTs(a)})) * 1000)`,
  jsonArrayHasObject: (c, p, k, v) =>
    `EXISTS (SELECT 1 FROM json_array_elements(COALESCE((${c})::json #> ${pgPath(p)}, '[]'::json)) AS je(value) WHERE je.value ->> '${constant(k)}' = '${constant(v)}')`,
  jsonArrayHasText: (c, p, v) =>
    `EXISTS (SELECT 1 FROM json_array_elements_text(COALESCE((${c})::json #> ${pgPath(p)}, '[]'::json)) AS je(value) WHERE je.value = '${constant(v)}')`,
  jsonTextElements: (c, p) => `json_array_elements_text(COALESCE((${c})::json #> ${pgPath(p)}, '[]'::json))`,
  jsonElements: (c, p) => `json_array_elements(COALESCE((${c})::json #> ${pgPath(p)}, '[]'::json))`,
  elementText: (a, k) => `(${a}.value ->> '${constant(k)}')`,
  jsonArrayNotEmpty: (c, p) => `COALESCE(json_array_length((${c})::json #> ${pgPath(p)}), 0) > 0`,
};

export function dialectSql(dialect: Dialect): DialectSql {
  return dialect === 'sqlite' ? sqliteSql : postgresSql;
}

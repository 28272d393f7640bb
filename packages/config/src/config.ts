import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import {
  formatPath,
  type Person,
  PersonSchema,
  type Segment,
  SegmentSchema,
  suggestKeys,
} from '@closedloop/core';
import { resolveAudiences } from '@closedloop/core/learn';
import { z } from 'zod';
import { type Deprecation, deprecationMessage, migrateDeprecated } from './deprecations.ts';
import { type ConfigInput, ConfigSchema, type EnvSecret, type ParsedConfig, ROLES } from './schema.ts';

export type ServeConfigInput = ConfigInput;
type Parsed = ParsedConfig;

/** A loaded config: paths resolved, the directory and segments read. */
export interface ServeConfig extends Omit<Parsed, 'directory' | 'segments' | '$schema'> {
  /** The config file (or `(inline)`). */
  file: string;
  directory: Person[];
  segments: Segment[];
  /** Old keys the file still uses (each was warned about once). */
  deprecations: readonly Deprecation[];
}

export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that cannot be used: every problem named by its field path, with the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[]) {
    super(`${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.file = file;
    this.issues = issues;
  }
}

const HINTS: Record<string, string> = {
  store:
    'a SQLite file path such as "data/closedloop.sqlite", ":memory:", or { "postgres": { "url": { "env": "DATABASE_URL" } } }',
  directory: 'a list of people [{ "id", "name", "email" }] or the path of a JSON file holding it',
  segments: 'a list of segments [{ "id", "name", "managers": ["person-id"] }] or a JSON file path',
  rules: 'the folder holding classify.json, route.json, …',
  'http.port': 'a whole number from 0 to 65535 (default 4100)',
  'http.host': 'an interface address such as "127.0.0.1" (default)',
  'http.bodyLimit': 'a size in bytes, e.g. 1048576 for 1 MB',
  'http.publicUrl': 'the URL people open, such as "https://cx.example.com"',
  auth: '{ "mode": "oidc", "issuer", "clientId", "clientSecret": { "env": "NAME" }, "sessionSecret": { "env": "NAME" } } or { "mode": "dev" }',
  'worker.http.port': 'a whole number from 0 to 65535 (default 9464)',
};

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path);
    let message = i.message;
    if (i.code === 'unrecognized_keys' && !i.message.startsWith('unknown field'))
      message = `unknown field(s) ${i.keys.join(', ')}: remove or rename them`;
    const hint = HINTS[path];
    return { path, message: hint ? `${message} (expected ${hint})` : message };
  });
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [
      { path: what, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [{ path: what, message: `not valid JSON: ${(e as Error).message}` }]);
  }
}

function listFrom<T>(
  value: string | T[],
  schema: z.ZodType<T>,
  base: string,
  what: string,
  file: string,
): T[] {
  if (typeof value !== 'string') return value;
  const path = resolve(base, value);
  const parsed = z.array(schema).safeParse(readJson(path, what), { error: (i) => suggestKeys(i as never) });
  if (!parsed.success) {
    throw new ConfigError(
      file,
      issuesOf(parsed.error).map((i) => ({ path: `${what} (${value}) ${i.path}`, message: i.message })),
    );
  }
  return parsed.data;
}

export interface ParseOptions {
  /** Told about each old key the config still uses (default: a line on stderr). */
  onDeprecation?: (message: string) => void;
}

const warnOnStderr = (message: string) => process.stderr.write(`closedloop: ${message}\n`);

/**
 * Validates a config object. Relative paths resolve against `baseDir`. Old keys are read and
 * reported once each through `onDeprecation`.
 *
 * @example
 * const config = parseConfig({ directory: [...], segments: [...] }, process.cwd());
 */
export function parseConfig(
  input: unknown,
  baseDir: string,
  file = '(inline)',
  options: ParseOptions = {},
): ServeConfig {
  const { value, deprecations } = migrateDeprecated(input);
  const warn = options.onDeprecation ?? warnOnStderr;
  for (const d of deprecations) warn(`${file}: ${deprecationMessage(d)}`);
  const parsed = ConfigSchema.safeParse(value, { error: (i) => suggestKeys(i as never) });
  if (!parsed.success) throw new ConfigError(file, issuesOf(parsed.error));
  const c = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const directory = listFrom<Person>(c.directory, PersonSchema, baseDir, 'directory', file);
  const segments = listFrom<Segment>(c.segments, SegmentSchema, baseDir, 'segments', file);
  const badRoles = directory.flatMap((p, i) =>
    (p.roles ?? [])
      .filter((r) => !(ROLES as readonly string[]).includes(r))
      .map((r) => ({
        path: `directory[${i}].roles`,
        message: `unknown role "${r.slice(0, 50)}" (expected one of ${ROLES.join(', ')})`,
      })),
  );
  if (badRoles.length > 0) throw new ConfigError(file, badRoles);
  const fallback = c.import?.defaultSegment;
  if (fallback !== undefined && !segments.some((s) => s.id === fallback))
    throw new ConfigError(file, [
      {
        path: 'import.defaultSegment',
        message: `"${fallback}" is not a segment id; use one of ${segments.map((s) => s.id).join(', ')}`,
      },
    ]);
  const email = c.connectors.email;
  return {
    file,
    deprecations,
    store: typeof c.store !== 'string' || c.store === ':memory:' ? c.store : abs(c.store),
    directory,
    segments,
    ...(c.rules !== undefined ? { rules: abs(c.rules) } : {}),
    connectors: {
      ...(email
        ? {
            email: {
              ...email,
              transport:
                email.transport.kind === 'directory'
                  ? { ...email.transport, path: abs(email.transport.path) }
                  : email.transport,
            },
          }
        : {}),
    },
    inbound: c.inbound,
    ...(c.import ? { import: c.import } : {}),
    http: c.http,
    ...(c.auth ? { auth: c.auth } : {}),
    ...(c.reports
      ? {
          reports: checkedReports(
            c.reports,
            c.connectors.email !== undefined,
            c.store,
            directory,
            segments,
            file,
          ),
        }
      : {}),
    contact: c.contact,
    ...(c.retention ? { retention: c.retention } : {}),
    worker: workerPaths(c.worker, abs),
  };
}

/** The worker section with its TLS file paths resolved against the config file. */
function workerPaths(worker: Parsed['worker'], abs: (p: string) => string): Parsed['worker'] {
  const tls = worker.temporal.tls;
  if (typeof tls !== 'object') return worker;
  const paths = Object.fromEntries(
    (['caPath', 'certPath', 'keyPath'] as const).flatMap((k) => (tls[k] ? [[k, abs(tls[k])]] : [])),
  );
  return { ...worker, temporal: { ...worker.temporal, tls: { ...tls, ...paths } } };
}

/** The report schedule, checked against the organisation and the rest of the config. */
function checkedReports(
  reports: NonNullable<Parsed['reports']>,
  hasEmail: boolean,
  store: Parsed['store'],
  directory: Person[],
  segments: Segment[],
  file: string,
): NonNullable<Parsed['reports']> {
  const issues: ConfigIssue[] = [];
  if (!hasEmail)
    issues.push({
      path: 'reports',
      message:
        'reports are mailed through connectors.email: add "connectors": { "email": { "from", "transport" } }',
    });
  if (store === ':memory:')
    issues.push({
      path: 'store',
      message: 'the report schedule reads the store in SQL: use a SQLite file or PostgreSQL, not ":memory:"',
    });
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: reports.timeZone });
  } catch {
    issues.push({
      path: 'reports.timeZone',
      message: `unknown time zone "${reports.timeZone}": use an IANA name such as Europe/Madrid`,
    });
  }
  try {
    resolveAudiences(reports.audiences, directory, segments);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = message.indexOf(': ');
    issues.push(
      at > 0
        ? { path: message.slice(0, at), message: message.slice(at + 2) }
        : { path: 'reports.audiences', message },
    );
  }
  if (issues.length) throw new ConfigError(file, issues);
  return reports;
}

/** The help text of every command's `-c, --config <file>`. */
export const CONFIG_HELP =
  'closedloop config file (default: closedloop.config.json or closedloop.config.ts in this folder; see docs/config.md)';

/**
 * The config when one is given or a default file is here, else undefined: for commands that can
 * work without one (`rules validate`, `explain`, `backtest`).
 */
export function optionalConfig(path?: string, options: ParseOptions = {}): ServeConfig | undefined {
  if (!path && !DEFAULT_CONFIG_FILES.some((f) => existsSync(resolve(f)))) return undefined;
  return loadConfig(path, options);
}

/** The files `--config` defaults to, looked up in the working directory in this order. */
export const DEFAULT_CONFIG_FILES = ['closedloop.config.json', 'closedloop.config.ts'] as const;

/**
 * The config file to use: `path` when given, else the first of {@link DEFAULT_CONFIG_FILES} in `cwd`.
 * Throws a {@link ConfigError} saying what to pass when there is none.
 */
export function configPath(path?: string, cwd = process.cwd()): string {
  if (path) return resolve(cwd, path);
  const found = DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (found) return found;
  throw new ConfigError(cwd, [
    {
      path: '--config',
      message: `no ${DEFAULT_CONFIG_FILES.join(' or ')} here: pass --config <file> (see docs/config.md)`,
    },
  ]);
}

/** The object a `.ts` config exports as default (Node strips its types). */
function readTs(file: string): unknown {
  let mod: { default?: unknown };
  try {
    mod = createRequire(import.meta.url)(file) as { default?: unknown };
  } catch (e) {
    throw new ConfigError(file, [{ path: '(file)', message: `cannot load: ${(e as Error).message}` }]);
  }
  if (mod.default === undefined)
    throw new ConfigError(file, [
      { path: '(file)', message: 'export the config as default: export default defineConfig({ … })' },
    ]);
  return mod.default;
}

/**
 * Reads and validates a config file: `closedloop.config.json`, or a `closedloop.config.ts` whose
 * default export is the config. Without a path, the default files in the working directory.
 * Throws a {@link ConfigError} naming each bad field and the fix.
 *
 * @example
 * const config = loadConfig('closedloop.config.json');
 * console.log(config.http.port); // 4100 unless set
 */
export function loadConfig(path?: string, options: ParseOptions = {}): ServeConfig {
  const file = configPath(path);
  const ext = extname(file);
  const raw = ext === '.ts' || ext === '.mts' ? readTs(file) : readJson(file, '(file)');
  return parseConfig(raw, dirname(file), file, options);
}

/**
 * Types a `closedloop.config.ts`: returns the config as given, checked by TypeScript.
 *
 * @example
 * // closedloop.config.ts
 * import { defineConfig } from '@closedloop/config';
 * export default defineConfig({ directory: 'people.json', segments: 'segments.json' });
 */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}

/**
 * The value of a secret from the environment. Throws a {@link ConfigError} naming the variable
 * and the config field when it is not set.
 *
 * @example
 * const url = secretValue(config.store.postgres.url, 'store.postgres.url');
 */
export function secretValue(
  secret: EnvSecret,
  field: string,
  env: NodeJS.ProcessEnv = process.env,
  file = '(config)',
): string {
  const value = env[secret.env];
  if (value === undefined || value === '')
    throw new ConfigError(file, [
      {
        path: field,
        message: `the environment variable ${secret.env} is not set: export it and start again`,
      },
    ]);
  return value;
}

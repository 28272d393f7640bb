import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FieldMappingSchema } from '@closedloop/connectors';
import { formatPath, type Person, PersonSchema, type Segment, SegmentSchema } from '@closedloop/core';
import { z } from 'zod';

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'give the NAME of an environment variable, such as SMTP_PASSWORD');

const Address = z.union([
  z.string().min(3),
  z.object({ name: z.string().optional(), address: z.email() }).strict(),
]);

const SmtpTransport = z
  .object({
    kind: z.literal('smtp'),
    host: z.string().min(1),
    port: z.int().min(1).max(65_535).optional(),
    secure: z.boolean().optional(),
    requireTLS: z.boolean().optional(),
    /** The SMTP user name (not a secret) or the env var that holds it. */
    user: z.string().min(1).optional(),
    userEnv: EnvName.optional(),
    /** The env var that holds the SMTP password: secrets never live in the config file. */
    passwordEnv: EnvName.optional(),
  })
  .strict()
  .refine((t) => !(t.passwordEnv && !t.user && !t.userEnv), {
    message: 'passwordEnv needs a user or userEnv as well',
    path: ['user'],
  });

const DirectoryTransport = z.object({ kind: z.literal('directory'), path: z.string().min(1) }).strict();

const EmailConfig = z
  .object({
    from: Address,
    replyTo: Address.optional(),
    transport: z.discriminatedUnion('kind', [SmtpTransport, DirectoryTransport]),
    caseUrl: z.string().optional(),
    resurveyUrl: z.string().optional(),
  })
  .strict();

const Mapping = FieldMappingSchema.strict().optional();

const InboundConfig = z
  .object({
    typeform: z
      .object({ enabled: z.boolean().default(true), secretEnv: EnvName, mapping: Mapping })
      .strict()
      .optional(),
    delighted: z
      .object({ enabled: z.boolean().default(true), apiKeyEnv: EnvName, mapping: Mapping })
      .strict()
      .optional(),
    formbricks: z
      .object({
        enabled: z.boolean().default(true),
        secretEnv: EnvName.optional(),
        tokenEnv: EnvName.optional(),
        mapping: Mapping,
      })
      .strict()
      .refine((f) => f.secretEnv !== undefined || f.tokenEnv !== undefined, {
        message: 'set secretEnv (signed webhooks) or tokenEnv (a ?token= in the URL)',
        path: ['secretEnv'],
      })
      .optional(),
    surveymonkey: z
      .object({
        enabled: z.boolean().default(true),
        apiKeyEnv: EnvName,
        apiSecretEnv: EnvName,
        accessTokenEnv: EnvName,
        baseUrl: z.url().optional(),
        mapping: Mapping,
      })
      .strict()
      .optional(),
    qualtrics: z
      .object({
        enabled: z.boolean().default(true),
        tokenEnv: EnvName,
        apiTokenEnv: EnvName,
        baseUrl: z.url(),
        mapping: Mapping,
      })
      .strict()
      .optional(),
  })
  .strict();

const HttpConfig = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.int().min(0).max(65_535).default(4100),
    /** Largest request body in bytes (default 1 MB). */
    bodyLimit: z
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .strict();

/** Who may be contacted, and the unsubscribe link customer mail carries. */
const ContactConfig = z
  .object({
    /** Contact a customer only when their answer says they consent (`consent: true`). */
    requireConsent: z.boolean().default(false),
    unsubscribe: z
      .object({
        /** The public URL of `/v1/unsubscribe` on this server, e.g. https://cx.example.com/v1/unsubscribe. */
        url: z.url({ protocol: /^https?$/ }),
        /** The environment variable holding the secret that seals unsubscribe tokens (32+ characters). */
        secretEnv: EnvName,
      })
      .strict()
      .optional(),
  })
  .strict();

const Duration = z
  .string()
  .regex(
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/,
    'an ISO-8601 duration such as "P18M" (18 months), "P2Y" or "P90D"',
  );

/** How long personal data is kept (docs/privacy.md), and how often serve anonymises what expired. */
const RetentionConfig = z
  .object({
    comments: Duration.optional(),
    identity: Duration.optional(),
    closedCases: Duration.optional(),
    logs: Duration.optional(),
    /** How often `serve` runs the retention job (default every day). */
    every: Duration.optional(),
    batchSize: z.int().min(1).max(10_000).optional(),
  })
  .strict();

/** `closedloop.config.json` as written (relative paths are relative to the file). */
export const ServeConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** SQLite file, `:memory:` for a throwaway in-memory store, or PostgreSQL for a team. */
    store: z
      .union([
        z.string().min(1),
        z
          .object({
            postgres: z
              .object({
                /** The environment variable holding the connection string (it has a password). */
                urlEnv: EnvName,
                schema: z
                  .string()
                  .regex(/^[a-z_][a-z0-9_]*$/, 'a schema name such as "closedloop"')
                  .optional(),
              })
              .strict(),
          })
          .strict(),
      ])
      .default('data/closedloop.sqlite'),
    directory: z.union([z.string().min(1), z.array(PersonSchema)]),
    segments: z.union([z.string().min(1), z.array(SegmentSchema).min(1)]),
    rules: z.string().min(1).optional(),
    connectors: z.object({ email: EmailConfig.optional() }).strict().default({}),
    inbound: InboundConfig.default({}),
    http: HttpConfig.default({ host: '127.0.0.1', port: 4100, bodyLimit: 1024 * 1024 }),
    contact: ContactConfig.default({ requireConsent: false }),
    retention: RetentionConfig.optional(),
  })
  .strict();
export type ServeConfigInput = z.input<typeof ServeConfigSchema>;
type Parsed = z.output<typeof ServeConfigSchema>;

/** A loaded config: paths resolved, the directory and segments read. */
export interface ServeConfig extends Omit<Parsed, 'directory' | 'segments' | '$schema'> {
  /** The config file (or `(inline)`). */
  file: string;
  directory: Person[];
  segments: Segment[];
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
    'a SQLite file path such as "data/closedloop.sqlite", ":memory:", or { "postgres": { "urlEnv": "DATABASE_URL" } }',
  directory: 'a list of people [{ "id", "name", "email" }] or the path of a JSON file holding it',
  segments: 'a list of segments [{ "id", "name", "managers": ["person-id"] }] or a JSON file path',
  rules: 'the folder holding classify.json, route.json, …',
  'http.port': 'a whole number from 0 to 65535 (default 4100)',
  'http.host': 'an interface address such as "127.0.0.1" (default)',
  'http.bodyLimit': 'a size in bytes, e.g. 1048576 for 1 MB',
};

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path);
    let message = i.message;
    if (i.code === 'unrecognized_keys')
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
  const parsed = z.array(schema).safeParse(readJson(path, what));
  if (!parsed.success) {
    throw new ConfigError(
      file,
      issuesOf(parsed.error).map((i) => ({ path: `${what} (${value}) ${i.path}`, message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * Validates a config object. Relative paths resolve against `baseDir`.
 *
 * @example
 * const config = parseConfig({ directory: [...], segments: [...] }, process.cwd());
 */
export function parseConfig(input: unknown, baseDir: string, file = '(inline)'): ServeConfig {
  const parsed = ServeConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(file, issuesOf(parsed.error));
  const c = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const directory = listFrom<Person>(c.directory, PersonSchema, baseDir, 'directory', file);
  const segments = listFrom<Segment>(c.segments, SegmentSchema, baseDir, 'segments', file);
  const email = c.connectors.email;
  return {
    file,
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
    http: c.http,
    contact: c.contact,
    ...(c.retention ? { retention: c.retention } : {}),
  };
}

/**
 * Reads and validates `closedloop.config.json`. Throws a {@link ConfigError} naming each bad
 * field and the fix.
 *
 * @example
 * const config = loadConfig('closedloop.config.json');
 * console.log(config.http.port); // 4100 unless set
 */
export function loadConfig(path: string): ServeConfig {
  const file = resolve(path);
  return parseConfig(readJson(file, '(file)'), dirname(file), file);
}

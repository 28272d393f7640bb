import { z } from 'zod';

/**
 * A secret in a config file: never the value itself in a committed file, but the name of the
 * environment variable that holds it (`{ "env": "SMTP_PASSWORD" }`). A plain string is accepted
 * too, for code that builds its config at runtime.
 */
export const SecretSchema = z.union([
  z.string().min(1),
  z.object({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as SMTP_PASSWORD'),
  }),
]);
export type Secret = z.output<typeof SecretSchema>;

/** Thrown when a connector's config is unusable: names the field and the fix. */
export class ConnectorConfigError extends Error {
  override readonly name = 'ConnectorConfigError';
  readonly connector: string;
  readonly path: string;
  constructor(connector: string, path: string, message: string) {
    super(`${connector}: ${path}: ${message}`);
    this.connector = connector;
    this.path = path;
  }
}

/**
 * The value of a secret: the string itself, or the named environment variable's value.
 *
 * @example
 * resolveSecret({ env: 'SLACK_BOT_TOKEN' }, { connector: 'slack', path: 'token' });
 */
export function resolveSecret(
  secret: Secret,
  where: { connector: string; path: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (typeof secret === 'string') return secret;
  const value = env[secret.env];
  if (value === undefined || value === '') {
    throw new ConnectorConfigError(
      where.connector,
      where.path,
      `environment variable ${secret.env} is not set: export it before starting closedloop`,
    );
  }
  return value;
}

interface IssueLike {
  code?: string;
  path: PropertyKey[];
  message: string;
  errors?: IssueLike[][];
}

/**
 * A `ConnectorConfigError` for the first problem in a zod error. For a value that matches none
 * of a union's shapes it reports the problem of the closest shape, not just "Invalid input".
 */
export function configError(
  connector: string,
  error: { issues: readonly IssueLike[] },
): ConnectorConfigError {
  let issue = error.issues[0];
  let path: PropertyKey[] = issue ? [...issue.path] : [];
  for (let depth = 0; issue?.code === 'invalid_union' && issue.errors?.length && depth < 5; depth++) {
    const closest = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    const inner = closest[0];
    if (!inner) break;
    path = [...path, ...inner.path];
    issue = inner;
  }
  return new ConnectorConfigError(
    connector,
    path.map(String).join('.') || '(root)',
    issue?.message ?? 'invalid options',
  );
}

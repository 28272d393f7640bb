import { randomBytes } from 'node:crypto';
import type { EnvSecret, ServeConfig } from '@closedloop/config';
import type { Store } from '@closedloop/core';
import type { Logger } from '../log.ts';
import { deriveKeys } from './crypto.ts';
import { defaultAllowedHosts, isLoopback } from './hosts.ts';
import type { AuthSettings } from './index.ts';
import { oidcSettings } from './oidc.ts';

/** The server refuses to start: the message says what to add or change. */
export class StartRefused extends Error {
  override readonly name = 'StartRefused';
}

const OIDC_EXAMPLE =
  '"auth": { "mode": "oidc", "issuer": { "env": "OIDC_ISSUER" }, "clientId": { "env": "OIDC_CLIENT_ID" }, "clientSecret": { "env": "OIDC_CLIENT_SECRET" }, "sessionSecret": { "env": "SESSION_SECRET" } } and "http": { "publicUrl": "https://cx.example.com" }';

/**
 * Checks how the server is exposed and builds its identity settings. Without an `auth` section
 * (or in dev mode) it listens on loopback only; OpenID Connect needs `http.publicUrl` and its
 * secrets in the environment.
 */
export function authSettingsFrom(
  config: ServeConfig,
  deps: { env: NodeJS.ProcessEnv; store: Store; logger: Logger },
): AuthSettings {
  const { env, logger } = deps;
  const auth = config.auth ?? { mode: 'dev' as const, idleMinutes: 60, absoluteHours: 12 };
  const publicUrl = config.http.publicUrl?.replace(/\/+$/, '');
  if (auth.mode === 'dev') {
    if (!isLoopback(config.http.host))
      throw new StartRefused(
        config.auth
          ? `auth.mode "dev" lets anyone act as anyone, so it only listens on a loopback address (http.host "127.0.0.1"), not "${config.http.host}". To serve others, configure sign-in: ${OIDC_EXAMPLE}`
          : `closedloop serve has no "auth" section, so it only listens on a loopback address (http.host "127.0.0.1"), not "${config.http.host}". To serve others, add ${OIDC_EXAMPLE}`,
      );
    logger(
      'warn',
      config.auth
        ? 'dev sign-in: anyone on this machine can act as anyone'
        : 'no "auth" section: dev mode on loopback only (anyone on this machine can act as anyone); add "auth" with OpenID Connect before sharing',
      {},
    );
  }
  const secretOf = (value: string | EnvSecret | undefined, what: string): string | undefined => {
    if (value === undefined || typeof value === 'string') return value;
    const v = env[value.env];
    if (!v) throw new StartRefused(`${what}: the environment variable ${value.env} is not set`);
    return v;
  };
  const sessionSecret = secretOf(auth.sessionSecret, 'auth.sessionSecret');
  if (sessionSecret !== undefined && sessionSecret.length < 32)
    throw new StartRefused(
      `auth.sessionSecret: ${auth.sessionSecret?.env} must hold at least 32 characters (e.g. \`openssl rand -base64 32\`)`,
    );
  const secure = publicUrl?.startsWith('https://') ?? false;
  let oidc: AuthSettings['oidc'];
  if (auth.mode === 'oidc') {
    if (!publicUrl)
      throw new StartRefused(
        'auth.mode "oidc" needs http.publicUrl: the URL people open (the sign-in redirect is built from it), such as "https://cx.example.com"',
      );
    const issuer = secretOf(auth.issuer, 'auth.issuer')!;
    if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol))
      throw new StartRefused(
        `auth.issuer: ${typeof auth.issuer === 'string' ? 'it' : auth.issuer.env} must hold the issuer URL, such as https://login.microsoftonline.com/<tenant>/v2.0`,
      );
    oidc = oidcSettings({
      issuer,
      clientId: secretOf(auth.clientId, 'auth.clientId')!,
      ...(auth.clientSecret ? { clientSecret: secretOf(auth.clientSecret, 'auth.clientSecret')! } : {}),
      scopes: auth.scopes,
      claim: auth.claim,
      ...(auth.groupsClaim ? { groupsClaim: auth.groupsClaim } : {}),
      ...(auth.groupRoles ? { groupRoles: auth.groupRoles } : {}),
      publicUrl,
    });
  }
  return {
    mode: auth.mode,
    directory: config.directory,
    segments: config.segments,
    store: deps.store,
    sessions: {
      keys: deriveKeys(sessionSecret ?? randomBytes(32)),
      secure,
      idleMs: auth.idleMinutes * 60_000,
      absoluteMs: auth.absoluteHours * 3_600_000,
    },
    allowedHosts: config.http.allowedHosts ?? defaultAllowedHosts(publicUrl),
    ...(publicUrl ? { publicOrigin: new URL(publicUrl).origin } : {}),
    ...(oidc ? { oidc } : {}),
    logger,
  };
}

import type { Hono } from 'hono';
import * as client from 'openid-client';
import { isLoopback } from './hosts.ts';
import type { AuthSettings } from './index.ts';
import { safeNext } from './index.ts';
import { notMemberPage, signInFailedPage } from './pages.ts';
import { newSession, type Session, setFlowCookie, takeFlowCookie, writeSession } from './session.ts';
import type { Role } from './types.ts';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: readonly string[];
  /** The claim matched against directory emails (or ids). */
  claim: string;
  groupsClaim?: string;
  groupRoles?: Readonly<Record<string, readonly Role[]>>;
  /** `http.publicUrl` without a trailing slash. */
  publicUrl: string;
}

export interface OidcSettings {
  config: OidcConfig;
  /** Where to send the browser after sign-out: the provider's end-session endpoint or our page. */
  endSessionUrl(session: Session | undefined): Promise<string>;
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  exp: number;
}

/** Discovers the provider once (again after a failure), so a provider down at start is no crash. */
export function oidcSettings(
  config: OidcConfig,
): OidcSettings & { provider(): Promise<client.Configuration> } {
  let discovered: Promise<client.Configuration> | undefined;
  const provider = () => {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        config.clientId,
        undefined,
        config.clientSecret ? client.ClientSecretPost(config.clientSecret) : client.None(),
        isLoopback(new URL(config.issuer).hostname) ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((e) => {
        discovered = undefined;
        throw e;
      });
    return discovered;
  };
  return {
    config,
    provider,
    async endSessionUrl(session) {
      const done = `${config.publicUrl}/auth/signed-out`;
      try {
        const p = await provider();
        if (!p.serverMetadata().end_session_endpoint) return done;
        return client
          .buildEndSessionUrl(p, {
            post_logout_redirect_uri: done,
            ...(session?.idToken ? { id_token_hint: session.idToken } : {}),
          })
          .toString();
      } catch {
        return done;
      }
    },
  };
}

const claimText = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : undefined);

/** `GET /auth/login` (to the provider, with PKCE) and `GET /auth/callback` (back, into a session). */
export function registerOidc(app: Hono, s: AuthSettings, oidc: OidcSettings): void {
  const settings = oidc as ReturnType<typeof oidcSettings>;
  const cfg = settings.config;
  const redirectUri = `${cfg.publicUrl}/auth/callback`;

  app.get('/auth/login', async (c) => {
    const provider = await settings.provider().catch(() => undefined);
    if (!provider) {
      s.logger('error', 'identity provider unreachable', { issuer: new URL(cfg.issuer).host });
      return c.html(signInFailedPage(), 502);
    }
    const flow: Flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      next: safeNext(c.req.query('next')),
      exp: Date.now() + 600_000,
    };
    setFlowCookie(c, s.sessions, flow);
    const url = client.buildAuthorizationUrl(provider, {
      redirect_uri: redirectUri,
      scope: cfg.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return c.redirect(url.toString(), 302);
  });

  app.get('/auth/callback', async (c) => {
    const flow = takeFlowCookie<Flow>(c, s.sessions);
    if (!flow || flow.exp < Date.now()) return c.html(signInFailedPage(), 400);
    let claims: Record<string, unknown>;
    let idToken: string | undefined;
    try {
      const provider = await settings.provider();
      const here = new URL(c.req.url);
      const tokens = await client.authorizationCodeGrant(provider, new URL(`${redirectUri}${here.search}`), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      idToken = tokens.id_token;
      const missing =
        claims[cfg.claim] === undefined ||
        (cfg.groupsClaim !== undefined && claims[cfg.groupsClaim] === undefined);
      if (missing && tokens.access_token) {
        const info = await client.fetchUserInfo(provider, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (e) {
      s.logger('warn', 'sign-in refused', { error: e instanceof Error ? e.name : 'error' });
      return c.html(signInFailedPage(), 400);
    }
    const value = claimText(claims[cfg.claim]);
    const verified = cfg.claim !== 'email' || claims.email_verified !== false;
    const person =
      value && verified
        ? s.directory.find((p) => p.email.toLowerCase() === value || p.id.toLowerCase() === value)
        : undefined;
    if (!person) {
      s.logger('info', 'sign-in refused: not in the directory', {});
      return c.html(notMemberPage(), 403);
    }
    const groups = cfg.groupsClaim ? claims[cfg.groupsClaim] : undefined;
    const groupRoles = [
      ...new Set(
        (Array.isArray(groups) ? groups : typeof groups === 'string' ? [groups] : []).flatMap((g) =>
          typeof g === 'string' ? (cfg.groupRoles?.[g] ?? []) : [],
        ),
      ),
    ];
    writeSession(
      c,
      s.sessions,
      newSession(person.id, {
        ...(groupRoles.length > 0 ? { groupRoles } : {}),
        ...(idToken && idToken.length < 1800 ? { idToken } : {}),
      }),
    );
    s.logger('info', 'signed in', { mode: 'oidc', person: person.id });
    return c.redirect(flow.next, 302);
  });
}

import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { hmac, type Keys, randomId, seal, unseal } from './crypto.ts';
import type { Role } from './types.ts';

/** What the session cookie carries (encrypted): who signed in and when. No server-side state. */
export interface Session {
  /** Random id of this sign-in: the CSRF token is derived from it. */
  sid: string;
  /** The directory person id. */
  sub: string;
  /** Roles mapped from the provider's group claim at sign-in. */
  groupRoles?: Role[];
  /** The provider's ID token, for its end-session endpoint (kept only when small). */
  idToken?: string;
  /** Signed in at (epoch ms). */
  iat: number;
  /** Last request at (epoch ms), refreshed at most once a minute. */
  seen: number;
}

export interface SessionSettings {
  keys: Keys;
  /** Cookies only over https (`http.publicUrl` is https). */
  secure: boolean;
  idleMs: number;
  absoluteMs: number;
}

const PURPOSE = 'session';
const REFRESH_MS = 60_000;

export const sessionCookieName = (s: SessionSettings) =>
  s.secure ? '__Host-closedloop_session' : 'closedloop_session';

/** The CSRF token of a session: an HMAC of its id, so replicas agree without sharing state. */
export const csrfTokenOf = (s: SessionSettings, session: Session) => hmac(s.keys.mac, `csrf:${session.sid}`);

/** The live session the request carries, refreshing its idle clock; undefined when absent or expired. */
export function readSession(c: Context, s: SessionSettings, now = Date.now()): Session | undefined {
  const cookie = getCookie(c, sessionCookieName(s));
  if (!cookie) return undefined;
  const session = unseal<Session>(s.keys, PURPOSE, cookie);
  if (
    !session ||
    typeof session.sub !== 'string' ||
    typeof session.sid !== 'string' ||
    now - session.iat > s.absoluteMs ||
    now - session.seen > s.idleMs ||
    session.iat > now + REFRESH_MS
  ) {
    clearSession(c, s);
    return undefined;
  }
  if (now - session.seen > REFRESH_MS) writeSession(c, s, { ...session, seen: now });
  return session;
}

export function writeSession(c: Context, s: SessionSettings, session: Session): void {
  setCookie(c, sessionCookieName(s), seal(s.keys, PURPOSE, session), {
    httpOnly: true,
    secure: s.secure,
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.ceil(s.absoluteMs / 1000),
  });
}

/** Starts a session for a directory person. */
export function newSession(sub: string, extra: Pick<Session, 'groupRoles' | 'idToken'> = {}): Session {
  const now = Date.now();
  return { sid: randomId(), sub, iat: now, seen: now, ...extra };
}

export function clearSession(c: Context, s: SessionSettings): void {
  deleteCookie(c, sessionCookieName(s), { path: '/', secure: s.secure });
}

/** A short-lived sealed cookie for one sign-in round trip (state, nonce, PKCE verifier). */
export function setFlowCookie(c: Context, s: SessionSettings, value: unknown): void {
  setCookie(c, s.secure ? '__Host-closedloop_signin' : 'closedloop_signin', seal(s.keys, 'signin', value), {
    httpOnly: true,
    secure: s.secure,
    sameSite: 'Lax',
    path: '/',
    maxAge: 600,
  });
}

export function takeFlowCookie<T>(c: Context, s: SessionSettings): T | undefined {
  const name = s.secure ? '__Host-closedloop_signin' : 'closedloop_signin';
  const value = unseal<T>(s.keys, 'signin', getCookie(c, name));
  deleteCookie(c, name, { path: '/', secure: s.secure });
  return value;
}

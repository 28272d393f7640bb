import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { deriveKeys, seal } from './crypto.ts';
import { newSession, readSession, type SessionSettings, writeSession } from './session.ts';

const settings = (secure = false, secret = 'x'.repeat(32)): SessionSettings => ({
  keys: deriveKeys(secret),
  secure,
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3_600_000,
});

/** A tiny app that signs in on /in and says who is there on /who (at a given clock). */
function app(s: SessionSettings) {
  const a = new Hono();
  a.get('/in', (c) => {
    writeSession(c, s, newSession('sara'));
    return c.text('ok');
  });
  a.get('/who', (c) => c.text(readSession(c, s, Number(c.req.query('at') ?? Date.now()))?.sub ?? 'nobody'));
  return a;
}

async function signIn(s: SessionSettings) {
  const res = await app(s).request('/in');
  return res.headers.get('set-cookie')!;
}

const who = async (s: SessionSettings, cookie: string, at = Date.now()) =>
  (await app(s).request(`/who?at=${at}`, { headers: { cookie: cookie.split(';')[0]! } })).text();

describe('session cookie', () => {
  it('is HttpOnly and SameSite=Lax, and Secure with a __Host- name over https', async () => {
    const plain = await signIn(settings());
    expect(plain).toMatch(/^closedloop_session=/);
    expect(plain).toContain('HttpOnly');
    expect(plain).toContain('SameSite=Lax');
    expect(plain).not.toContain('Secure');
    const secure = await signIn(settings(true));
    expect(secure).toMatch(/^__Host-closedloop_session=/);
    expect(secure).toContain('Secure');
    expect(secure).toContain('Path=/');
  });

  it('ends after the idle time without requests and after the absolute time even when used', async () => {
    const s = settings();
    const cookie = await signIn(s);
    const now = Date.now();
    expect(await who(s, cookie, now + 29 * 60_000)).toBe('sara');
    expect(await who(s, cookie, now + 31 * 60_000)).toBe('nobody');
    // Kept in use every 20 minutes: still ends at the absolute limit.
    const used = { ...newSession('sara'), iat: now - 8 * 3_600_000 - 1, seen: now - 60_000 };
    const stale = `closedloop_session=${seal(s.keys, 'session', used)}`;
    expect(await who(s, stale, now)).toBe('nobody');
  });

  it('refuses a cookie that was altered, sealed with another secret or for another purpose', async () => {
    const s = settings();
    const cookie = (await signIn(s)).split(';')[0]!;
    const value = cookie.slice(cookie.indexOf('=') + 1);
    const bytes = Buffer.from(value, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    const flipped = `closedloop_session=${bytes.toString('base64url')}`;
    expect(await who(s, flipped)).toBe('nobody');
    expect(await who(settings(false, 'y'.repeat(32)), cookie)).toBe('nobody');
    const other = `closedloop_session=${seal(s.keys, 'signin', newSession('eva'))}`;
    expect(await who(s, other)).toBe('nobody');
    const forged = `closedloop_session=${Buffer.from(JSON.stringify(newSession('eva'))).toString('base64url')}`;
    expect(await who(s, forged)).toBe('nobody');
  });
});

// The whole OpenID Connect redirect flow in real Chromium against a real provider (oidc-provider,
// the certified Node implementation) on 127.0.0.1: sign-in, not a member, sign-out, session expiry.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '@closedloop/config';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { axeViolations, launchBrowser } from '../../../../../test/browser.ts';
import { type RunningServer, startServer } from '../server.ts';
import { people, segments } from '../test-fixture.ts';
import { raw } from './test-kit.ts';

let idp: Server;
let issuer: string;
let server: RunningServer;
let publicUrl: string;
let browser: Browser;
const logs: string[] = [];

const listen = (s: Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
  );

beforeAll(async () => {
  // The provider's port first (its issuer URL names it), then closedloop's (the redirect URI names it).
  idp = createServer();
  issuer = `http://127.0.0.1:${await listen(idp)}`;
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  publicUrl = `http://127.0.0.1:${port}`;

  // The provider warns once that it runs with its quick-start in-memory storage and login form.
  const quietWarnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'closedloop',
        client_secret: 'closedloop-test-client-secret',
        redirect_uris: [`${publicUrl}/auth/callback`],
        post_logout_redirect_uris: [`${publicUrl}/auth/signed-out`],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test' }] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // The login form takes any login: here, the email the provider vouches for.
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        email: id,
        email_verified: true,
        name: id,
        groups: id === 'eva@example.com' ? ['cx-admins', 'staff'] : ['staff'],
      }),
    }),
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><html lang="en"><head><title>Sign out</title></head><body>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></body></html>`;
        },
      },
    },
  });
  quietWarnings.mockRestore();
  idp.on('request', provider.callback());

  server = await startServer(
    parseConfig(
      {
        store: ':memory:',
        directory: people,
        segments,
        http: { port, publicUrl },
        auth: {
          mode: 'oidc',
          issuer: { env: 'OIDC_ISSUER' },
          clientId: { env: 'OIDC_CLIENT_ID' },
          clientSecret: { env: 'OIDC_CLIENT_SECRET' },
          sessionSecret: { env: 'SESSION_SECRET' },
          idleMinutes: 30,
          scopes: ['openid', 'email', 'groups'],
          groupsClaim: 'groups',
          groupRoles: { 'cx-admins': ['admin'] },
        },
      },
      process.cwd(),
    ),
    {
      logger: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
      env: {
        OIDC_ISSUER: issuer,
        OIDC_CLIENT_ID: 'closedloop',
        OIDC_CLIENT_SECRET: 'closedloop-test-client-secret',
        SESSION_SECRET: 's'.repeat(48),
      },
    },
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((r) => idp?.close(r));
});

/** Goes through the provider's login (and consent) pages as `login`. */
async function signInAtProvider(page: Page, login: string) {
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  // Consent, the first time this account meets the client.
  for (let i = 0; i < 3 && page.url().startsWith(issuer); i++) {
    await page.waitForLoadState();
    if (!page.url().startsWith(issuer)) break;
    await page.click('button[type=submit]');
    await page
      .waitForURL((u) => !u.href.startsWith(issuer) || u.pathname.includes('consent'))
      .catch(() => {});
  }
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  // CSP bypass only so axe-core can be injected into our pages.
  const context = await browser.newContext({ bypassCSP: true });
  return { context, page: await context.newPage() };
}

describe('OpenID Connect sign-in', () => {
  it('signs a directory person in through the provider, back to the page they asked for, and signs them out', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${publicUrl}/?status=new`);
      expect(new URL(page.url()).pathname).toBe('/auth/signin');
      expect(await axeViolations(page)).toEqual([]);
      await page.click('text=Sign in with your organisation account');
      await signInAtProvider(page, 'sara@example.com');
      // Back at the page asked for (the console app may then show it as its inbox route).
      await page.waitForURL((u) => u.href.startsWith(publicUrl) && u.search.includes('status=new'));
      expect(await page.textContent('header')).toMatch(/cases/i);
      const me = await page.evaluate(async () => (await fetch('/v1/me')).json());
      expect(me).toMatchObject({
        kind: 'person',
        id: 'sara',
        roles: ['manager'],
        can: { write: true, admin: false },
      });
      const cookies = await context.cookies(publicUrl);
      const session = cookies.find((c) => c.name === 'closedloop_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

      // Sign out: our cookie goes, then the provider's end-session page, then back to ours.
      await page.click('button.signout');
      await page.waitForURL((u) => u.href.startsWith(issuer));
      await page.click('button[name=logout][value=yes]');
      await page.waitForURL(`${publicUrl}/auth/signed-out`);
      expect(await page.textContent('h1')).toBe('Signed out');
      await page.goto(`${publicUrl}/`);
      expect(new URL(page.url()).pathname).toBe('/auth/signin');
    } finally {
      await context.close();
    }
  });

  it('shows someone outside the directory a "not a member" page and gives them no session', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${publicUrl}/auth/login`);
      await signInAtProvider(page, 'stranger@elsewhere.example');
      await page.waitForURL(`${publicUrl}/auth/callback**`);
      expect(await page.textContent('h1')).toBe('Not a member');
      expect(await axeViolations(page)).toEqual([]);
      expect((await context.cookies(publicUrl)).some((c) => c.name === 'closedloop_session')).toBe(false);
      const api = await page.evaluate(async () => (await fetch('/v1/cases')).status);
      expect(api).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('ends a session left idle past auth.idleMinutes: the next page asks to sign in again', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${publicUrl}/auth/login?next=%2F`);
      await signInAtProvider(page, 'ines@example.com');
      await page.waitForURL(`${publicUrl}/`);
      const cookie = (await context.cookies(publicUrl)).find((c) => c.name === 'closedloop_session')!;
      const host = new URL(publicUrl).host;
      const before = await raw(publicUrl, 'GET', '/v1/me', {
        host,
        cookie: `${cookie.name}=${cookie.value}`,
      });
      expect(before.json.id).toBe('ines');
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31 * 60_000 });
      try {
        const after = await raw(publicUrl, 'GET', '/v1/me', {
          host,
          cookie: `${cookie.name}=${cookie.value}`,
        });
        expect(after.status).toBe(401);
        const pageAfter = await raw(publicUrl, 'GET', '/', {
          host,
          cookie: `${cookie.name}=${cookie.value}`,
        });
        expect(pageAfter.status).toBe(302);
        expect(pageAfter.headers.location).toBe('/auth/signin?next=%2F&expired=1');
      } finally {
        vi.useRealTimers();
      }
    } finally {
      await context.close();
    }
  });

  it('maps the provider group claim to roles', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${publicUrl}/auth/login?next=%2F`);
      await signInAtProvider(page, 'eva@example.com');
      await page.waitForURL(`${publicUrl}/`);
      const me = await page.evaluate(async () => (await fetch('/v1/me')).json());
      expect(me).toMatchObject({ id: 'eva', roles: ['admin'], can: { admin: true, editRules: true } });
    } finally {
      await context.close();
    }
  });

  it('refuses a callback it did not start (no state cookie) and logs no personal data', async () => {
    const r = await raw(publicUrl, 'GET', '/auth/callback?code=forged&state=x', {
      host: new URL(publicUrl).host,
    });
    expect(r.status).toBe(400);
    expect(r.text).toContain('Sign-in did not complete');
    expect(logs.join('\n')).not.toMatch(/stranger@|sara@example\.com|ines@example\.com/);
  });
});

// Dev mode in real Chromium: the sign-in pages (axe-checked), then the console acting as the
// signed-in person with the session's CSRF token, then sign-out.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations, launchBrowser } from '../../../../../test/browser.ts';
import { startTestServer, type TestServer } from '../test-fixture.ts';

let server: TestServer;
let browser: Browser;
let caseId: string;

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.api('/v1/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      source: { tool: 'api', responseId: 'dev-browser-1' },
      customer: { email: 'lola@example.com', segment: 'spain' },
      nps: 2,
      comment: 'Late again',
    }),
  });
  caseId = ((await res.json()) as { case: { id: string } }).case.id;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('signs in by picking a person, comments on a case as them, and signs out', async () => {
  // CSP bypass only so axe-core can be injected.
  const context = await browser.newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    await page.goto(`${server.url}/cases/${caseId}`);
    expect(new URL(page.url()).pathname).toBe('/auth/signin');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('text=Pick a person (dev mode)');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('button:has-text("Sara Spain")');
    await page.waitForURL(`${server.url}/cases/${caseId}`);

    // A state change from the signed-in page: the session cookie and the CSRF token from /v1/me.
    const status = await page.evaluate(async (id) => {
      const me = (await (await fetch('/v1/me')).json()) as { csrfToken: string };
      const res = await fetch(`/v1/cases/${id}/comment`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ body: 'Called her back' }),
      });
      return res.status;
    }, caseId);
    expect(status).toBe(200);
    const got = (await (await server.api(`/v1/cases/${caseId}`)).json()) as {
      comments: { author: string; body: string }[];
    };
    expect(got.comments).toEqual([expect.objectContaining({ author: 'sara', body: 'Called her back' })]);

    await page.click('button.signout');
    await page.waitForURL(`${server.url}/auth/signed-out`);
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/auth/signin');
  } finally {
    await context.close();
  }
});

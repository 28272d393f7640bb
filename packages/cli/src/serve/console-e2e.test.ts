// The console in real Chromium against a real `serve` (SQLite store, mail to a folder): an agent
// works a case from the inbox to resolved and informed; every page passes axe-core.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations, launchBrowser } from '../../../../test/browser.ts';
import { defaultConsoleDir } from './console-static.ts';
import { openAs } from './console-test-kit.ts';
import { startTestServer, type TestServer } from './test-fixture.ts';

const shots = process.env.CLOSEDLOOP_SCREENSHOTS;
let server: TestServer;
let browser: Browser;
let outbox: string;

beforeAll(async () => {
  if (!existsSync(join(defaultConsoleDir(), 'index.html')))
    throw new Error('The console is not built: run `pnpm run build` first (it builds packages/console)');
  const dir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  outbox = join(dir, 'outbox');
  server = await startTestServer({
    store: join(dir, 'cx.sqlite'),
    connectors: { email: { from: 'CX <cx@example.com>', transport: { kind: 'directory', path: outbox } } },
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function capture(n: number, over: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.bearer },
    body: JSON.stringify({
      source: { tool: 'api', responseId: `e2e-${n}` },
      customer: {
        email: `customer${n}@example.com`,
        name: `Customer ${n}`,
        segment: n % 2 ? 'spain' : 'italy',
      },
      nps: n % 7,
      comment: `Problem number ${n}`,
      answers: [{ question: 'What went wrong?', answer: 'Delivery' }],
      ...over,
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { case: { id: string } }).case.id;
}

async function accessible(page: Page, name: string) {
  const violations = await axeViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('an agent works a case from the inbox to resolved and informed, in the browser', async () => {
  for (let n = 1; n <= 30; n++) await capture(n);
  const id = await capture(99, {
    customer: { email: 'lucia.garcia@example.com', name: 'Lucía García', segment: 'spain' },
    nps: 1,
    comment: 'El paquete llegó abierto y faltaba un libro.',
    language: 'es',
  });
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  const failures: string[] = [];
  page.on('pageerror', (e) => failures.push(e.message));
  // The only expected error answer: /v1/me is 404 on a server without sign-in.
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/v1/me') && failures.push(r.url()));
  page.on(
    'console',
    (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && failures.push(m.text()),
  );
  // Eva manages Europe: she sees Spain's and Italy's cases.
  await openAs(page, `${server.url}/cases`, 'eva');
  await page.getByRole('heading', { name: 'Cases' }).waitFor();
  // A manager starts on their own cases; Eva's segments hold all of them.
  await page.getByText('My segments', { exact: true }).click();
  await page.getByText('Cases 1–25 of 31').waitFor();
  await accessible(page, 'inbox');

  // Paging both ways.
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText('Cases 26–31 of 31').waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByText('Cases 1–25 of 31').waitFor();

  // Sorting by a column, then searching by the customer's name.
  await page.getByRole('button', { name: 'NPS' }).click();
  await page.locator('th[aria-sort="descending"]', { hasText: 'NPS' }).waitFor();
  await page.getByLabel('Search (email, name or case id)').fill('garcía');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('Cases 1–1 of 1').waitFor();
  expect(new URL(page.url()).searchParams.get('q')).toBe('garcía');
  await page.getByRole('link', { name: id }).click();

  await page.getByRole('heading', { name: `Case ${id}` }).waitFor();
  await page.getByText('El paquete llegó abierto').waitFor();
  await page.getByText('What went wrong?').waitFor();
  await accessible(page, 'case');

  // Only the allowed statuses are offered: never "new", never "all".
  const statuses = await page.getByLabel('Status').locator('option').allTextContents();
  expect(statuses).toEqual(['(keep new)', 'open', 'escalated', 'resolved']);
  await page.getByLabel('Status').selectOption('open');
  await page.getByRole('button', { name: 'Update case' }).click();
  await page.getByText('Case updated.').waitFor();
  await page.getByTestId('case-status').filter({ hasText: 'open' }).waitFor();

  await page.getByLabel('New comment').fill('Called Lucía, sending a new book.');
  await page.getByRole('button', { name: 'Add comment' }).click();
  await page.getByText('Called Lucía, sending a new book.').first().waitFor();

  await page.getByLabel('Root cause').fill('Damaged in transit');
  await page.getByRole('button', { name: 'Resolve case' }).click();
  await page.getByTestId('case-status').filter({ hasText: 'resolved' }).waitFor();

  // Inform: the preview shows the exact mail before anything is sent.
  await page.getByLabel('Message', { exact: true }).fill('Le enviamos un libro nuevo hoy.');
  await page.getByLabel('Gesture (optional), e.g. 10 % off your next order').fill('un 10 % de descuento');
  await page.getByLabel('Coupon code (optional)').fill('PERDON10');
  await page.getByRole('button', { name: 'Preview the email' }).click();
  await page.getByRole('heading', { name: 'Preview (not sent yet)' }).waitFor();
  const text = await page.getByTestId('preview-text').textContent();
  expect(text).toContain('Le enviamos un libro nuevo hoy.');
  expect(text).toContain('PERDON10');
  expect(existsSync(outbox) ? readdirSync(outbox).filter((f) => f.includes('inform')) : []).toEqual([]);
  await accessible(page, 'case-inform-preview');
  await page.getByRole('button', { name: 'Send to the customer' }).click();
  await page.getByText('The mail to the customer is on its way.').waitFor();

  // The mail went out as previewed; the log records it.
  await server.runtime.loop.idle();
  const mails = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
  const toLucia = mails.filter((m) => m.includes('lucia.garcia@example.com') && m.includes('PERDON10'));
  expect(toLucia).toHaveLength(1);
  await page.reload();
  await page.getByRole('cell', { name: 'customerInformed' }).waitFor();
  expect(failures).toEqual([]);
  await page.close();
}, 120_000);

test('a move the loop refuses explains itself in words, with the allowed segments', async () => {
  const id = await capture(200, { customer: { email: 'x200@example.com', segment: 'spain' } });
  const page = await browser.newPage();
  await openAs(page, `${server.url}/cases/${id}`, 'sara');
  await page
    .getByLabel('Move to segment')
    .locator('option', { hasText: 'Italy' })
    .waitFor({ state: 'attached' });
  const segments = await page.getByLabel('Move to segment').locator('option').allTextContents();
  expect(segments).toEqual(['(keep Spain)', 'Italy']);
  // Someone else resolves the case meanwhile; this page still offers "escalated".
  await fetch(`${server.url}/v1/cases/${id}/resolve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await server.signIn('pablo')) },
    body: JSON.stringify({ rootCause: 'duplicate' }),
  });
  await page.getByLabel('Status').selectOption('escalated');
  await page.getByRole('button', { name: 'Update case' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toMatch(
    /refused the update: status cannot go from resolved to escalated/,
  );
  expect(await alert.textContent()).toContain('Allowed instead: open');
  await page.close();
});

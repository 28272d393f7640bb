// The rule workbench in real Chromium against a real `serve` (SQLite store, rules in the store): an
// ops admin builds a rule from nothing, meets a validation error, explains, backtests, publishes,
// sees new feedback routed by it, and rolls back; every page passes axe-core.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations, launchBrowser } from '../../../../test/browser.ts';
import { defaultConsoleDir } from './console-static.ts';
import { openAs } from './console-test-kit.ts';
import { people, startTestServer, type TestServer } from './test-fixture.ts';

const shots = process.env.CLOSEDLOOP_SCREENSHOTS;
let server: TestServer;
let browser: Browser;
let baseline: string;

const BASELINE = {
  route: {
    kind: 'route',
    rules: [
      {
        id: 'detractor-case',
        name: 'A case per detractor',
        conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'detractor' }] },
        event: { type: 'openCase', params: { priority: 'high' } },
      },
    ],
  },
};

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...server.bearer },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  return { status: res.status, body: (await res.json()) as any };
}

let seq = 0;
async function spanishDetractor() {
  const r = await call('POST', '/v1/feedback', {
    source: { tool: 'api', responseId: `rules-e2e-${++seq}` },
    customer: { email: `r${seq}@example.com`, segment: 'spain' },
    nps: 3,
    comment: 'Nobody called back',
  });
  expect(r.status).toBe(201);
  return r.body.case as { id: string; owner: string; priority: string };
}

beforeAll(async () => {
  if (!existsSync(join(defaultConsoleDir(), 'index.html')))
    throw new Error('The console is not built: run `pnpm run build` first (it builds packages/console)');
  const dir = mkdtempSync(join(tmpdir(), 'console-rules-e2e-'));
  // Eva manages Europe and edits the rules.
  server = await startTestServer({
    store: join(dir, 'cx.sqlite'),
    directory: people.map((p) => (p.id === 'eva' ? { ...p, roles: ['manager', 'rulesEditor'] } : p)),
  });
  const published = await call('POST', '/v1/rules/publish', { files: BASELINE, comment: 'baseline' });
  expect(published.status).toBe(201);
  baseline = published.body.version;
  for (let i = 0; i < 5; i++) await spanishDetractor();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function accessible(page: Page, name: string) {
  const violations = await axeViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test('an ops admin builds, tries, publishes and rolls back a routing rule without a terminal', async () => {
  expect((await spanishDetractor()).owner).toBe('sara');
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  const failures: string[] = [];
  page.on('pageerror', (e) => failures.push(e.message));
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/v1/me') && failures.push(r.url()));
  await openAs(page, `${server.url}/rules`, 'eva');
  await page.getByText('A case per detractor').waitFor();
  await page.getByText('NPS', { exact: false }).first().waitFor();
  await accessible(page, 'rules');

  await page.getByRole('link', { name: 'New route rule' }).click();
  await page.getByRole('heading', { name: 'New route rule' }).waitFor();
  await page.getByLabel('Id', { exact: true }).fill('spain-detractors-to-ines');
  await page.getByLabel('Name', { exact: true }).fill('Spanish detractors go to Ines');
  await page.getByLabel('Priority', { exact: true }).fill('10');

  // Two conditions in the visual builder: segment within Spain, and NPS at most 6.
  await page.getByRole('button', { name: '+ Condition' }).click();
  await page.getByTitle('Fact').nth(0).selectOption('segment');
  await page.getByTitle('Operator').nth(0).selectOption('inSegmentSubtree');
  await page.getByLabel('Value for segment').selectOption('spain');
  await page.getByRole('button', { name: '+ Condition' }).click();
  await page.getByTitle('Fact').nth(1).selectOption('nps');
  await page.getByTitle('Operator').nth(1).selectOption('lessThanInclusive');
  await page.getByLabel('Value for NPS').fill('6');

  // A priority that does not exist: the error shows at the field, as you type.
  await page.getByLabel('Event parameters (JSON)').fill('{ "priority": "urgent", "owner": "ines" }');
  await page.locator('#r-params-error').waitFor();
  expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
  await page.getByLabel('Event parameters (JSON)').fill('{ "priority": "critical", "owner": "ines" }');
  await page.getByText('The draft is valid.').waitFor();
  // The JSON view edits the same draft.
  expect(await page.locator('.cm-content').textContent()).toContain('spain-detractors-to-ines');
  await accessible(page, 'rule-edit');

  // Explain the sample feedback (a Spanish detractor) against the draft.
  await page.getByRole('button', { name: 'Explain' }).click();
  await page
    .locator('.explain li', { hasText: 'route/spain-detractors-to-ines' })
    .getByText('fired')
    .first()
    .waitFor();
  await page
    .locator('.explain li', { hasText: 'route/detractor-case' })
    .getByText(/shadowed|did not fire/)
    .first()
    .waitFor();

  // Backtest over the stored feedback, with progress.
  await page.getByRole('button', { name: 'Run the backtest' }).click();
  await page.getByTestId('backtest-summary').waitFor();
  expect(await page.getByTestId('backtest-summary').textContent()).toMatch(
    /6 of 6 answers would be decided differently/,
  );
  await accessible(page, 'rule-try');

  await page.getByLabel('What changes, and why').fill('Spain detractors to Ines while Sara is away');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText(/Published version .+; it runs now/).waitFor();

  // New feedback takes the new routing.
  const routed = await spanishDetractor();
  expect(routed.owner).toBe('ines');
  expect(routed.priority).toBe('critical');
  await page.goto(`${server.url}/cases/${routed.id}`);
  await page.getByText('Ines Italy', { exact: true }).waitFor();

  // The cases opened before can be re-decided too: a dry run lists what would change.
  await page.goto(`${server.url}/rules`);
  await page.getByText('Spanish detractors go to Ines').waitFor();
  await page.getByRole('button', { name: 'Preview the changes' }).click();
  expect(await page.getByTestId('apply-summary').textContent()).toMatch(/^Would change 6 of 7 open cases\.$/);

  // Roll back to the baseline from the versions list.
  await page.getByRole('button', { name: `Roll back to ${baseline}` }).click();
  await page.getByText(`Rolled back: ${baseline} runs again`).waitFor();
  expect((await spanishDetractor()).owner).toBe('sara');
  expect(failures).toEqual([]);
  await page.close();
}, 120_000);

// Helpers for the console's browser tests that work with and without sign-in (identity).
import type { Page } from 'playwright-core';

/**
 * Opens `url` as a person: through the dev sign-in page when the server has sign-in (it redirects
 * to /auth/…), else through the console's own "Acting as" picker.
 */
export async function openAs(page: Page, url: string, personId: string): Promise<void> {
  await page.goto(url);
  const here = new URL(page.url());
  if (here.pathname.startsWith('/auth/')) {
    if (here.pathname !== '/auth/dev') {
      const target = new URL(url);
      await page.goto(`${here.origin}/auth/dev?next=${encodeURIComponent(target.pathname + target.search)}`);
    }
    await page.locator(`form:has(input[name="person"][value="${personId}"]) button`).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/auth/'));
    return;
  }
  await page.getByLabel('Acting as (dev sign-in)').selectOption(personId);
}

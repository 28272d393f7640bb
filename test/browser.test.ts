import { expect, test } from 'vitest';
import { axeViolations, launchBrowser } from './browser.ts';

test('Debian Chromium launches and axe-core finds a missing alt text, and nothing on a clean page', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>ok</title></head><body><main><h1>Hi</h1></main></body></html>',
    );
    expect(await axeViolations(page)).toEqual([]);
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>bad</title></head><body><main><img src="x.png"></main></body></html>',
    );
    expect((await axeViolations(page)).map((v) => v.id)).toContain('image-alt');
  } finally {
    await browser.close();
  }
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from './console.ts';
import { startTestServer, type TestServer } from './test-fixture.ts';

let server: TestServer;
let caseId: string;
let sara: Record<string, string>;
const evil = `<script>alert("x")</script> & <img src=x onerror=alert(1)>`;

beforeAll(async () => {
  server = await startTestServer();
  sara = await server.signIn('sara');
  const res = await server.api('/v1/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      source: { tool: 'api', responseId: 'console-1' },
      customer: { email: 'evil@example.com', name: `"><svg onload=alert(1)>`, segment: 'spain' },
      nps: 0,
      comment: evil,
    }),
  });
  caseId = ((await res.json()) as { case: { id: string } }).case.id;
  await fetch(`${server.url}/v1/cases/${caseId}/comment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sara },
    body: JSON.stringify({ body: `</blockquote><script>steal()</script>` }),
  });
});
afterAll(async () => {
  await server?.close();
});

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { cookie: sara.cookie! } });
  return { status: res.status, text: await res.text(), headers: res.headers };
};

describe('web console', () => {
  it('escapes every piece of customer text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('lists cases with status counts, filters and export links, customer text escaped', async () => {
    const r = await get('/?search=evil%40example.com');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.text).toContain(caseId);
    expect(r.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(r.text).not.toContain('<script>alert');
    expect(r.text).not.toContain('<img src=x');
    expect(r.text).toMatch(/new 1/);
    expect(r.text).toContain('href="/v1/cases.csv?search=evil%40example.com"');
  });

  it('shows a case with its comments and log, escaped', async () => {
    const r = await get(`/cases/${caseId}`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('&lt;/blockquote&gt;&lt;script&gt;steal()&lt;/script&gt;');
    expect(r.text).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;');
    expect(r.text).not.toContain('<script>steal');
    expect(r.text).not.toContain('<svg');
    expect(r.text).toContain('<h2>Log</h2>');
    // The only script is the console's own file.
    expect(r.text.match(/<script/g)).toEqual(['<script']);
  });

  it('answers 404 for an unknown case and 400 for a bad filter, as pages', async () => {
    const nf = await get('/cases/%3Cb%3Enope');
    expect(nf.status).toBe(404);
    expect(nf.text).toContain('&lt;b&gt;nope');
    const bad = await get('/?status=%3Cb%3E');
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('<b>');
  });

  it('serves its script and stylesheet', async () => {
    expect((await get('/console.js')).headers.get('content-type')).toContain('javascript');
    expect((await get('/console.css')).headers.get('content-type')).toContain('text/css');
  });
});

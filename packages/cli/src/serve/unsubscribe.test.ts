import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createToken } from './auth/tokens.ts';
import { type RunningServer, startServer } from './server.ts';
import { testConfig } from './test-fixture.ts';

const SECRET = 'unsubscribe-secret-for-tests-0123456789';
const mail = mkdtempSync(join(tmpdir(), 'unsub-mail-'));
let server: RunningServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer(
    testConfig({
      connectors: { email: { from: 'care@shop.example', transport: { kind: 'directory', path: mail } } },
      contact: {
        unsubscribe: { url: 'https://cx.shop.example/v1/unsubscribe', secret: { env: 'UNSUB_SECRET' } },
      },
    }),
    { logger: () => {}, env: { UNSUB_SECRET: SECRET, TF_SECRET: 'x', DL_KEY: 'y' } },
  );
  const { token } = await createToken(server.runtime.loop.store, { name: 'dpo', scopes: ['admin'] });
  admin = { authorization: `Bearer ${token}` };
});
afterAll(async () => {
  await server?.close();
});

let n = 0;
async function promoter(email: string) {
  const res = await fetch(`${server.url}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({
      source: { tool: 'api', responseId: `unsub-${n++}` },
      customer: { email, segment: 'spain' },
      nps: 10,
      language: 'es',
    }),
  });
  expect(res.status).toBe(201);
  // The thank-you is written by the outbox; wait until the server's loop is idle.
  await server.runtime.loop.idle();
}
const emls = () => readdirSync(mail).map((f) => readFileSync(join(mail, f), 'utf8'));

test('every customer mail carries a sealed unsubscribe link; following it stops the next one', async () => {
  await promoter('pau.unsub@example.es');
  const [thanks] = emls().filter((m) => m.includes('pau.unsub@example.es'));
  expect(thanks).toBeDefined();
  const unfolded = thanks!.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const link = /https:\/\/cx\.shop\.example\/v1\/unsubscribe\?t=([\w-]+)/.exec(unfolded);
  expect(link).not.toBeNull();
  expect(thanks!.replace(/\r?\n[ \t]+/g, ' ')).toMatch(
    /List-Unsubscribe: <https:\/\/cx\.shop\.example\/v1\/unsubscribe\?t=/,
  );
  expect(link![0]).not.toContain('pau');

  const path = `/v1/unsubscribe?t=${link![1]}`;
  const ask = await fetch(`${server.url}${path}`);
  expect(ask.status).toBe(200);
  expect(await ask.text()).toContain('<form method="post"');
  // Opening the link alone changes nothing.
  const check = await fetch(`${server.url}/v1/privacy/do-not-contact/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({ email: 'pau.unsub@example.es' }),
  });
  expect(await check.json()).toEqual({ listed: false });

  const done = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(done.status, await done.clone().text()).toBe(200);
  const before = emls().length;
  await promoter('pau.unsub@example.es');
  expect(emls().length).toBe(before);

  const token = link![1]!;
  const altered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
  const tampered = await fetch(`${server.url}/v1/unsubscribe?t=${altered}`, {
    method: 'POST',
  });
  expect(tampered.status).toBe(400);
  expect(await tampered.text()).not.toContain('pau');
});

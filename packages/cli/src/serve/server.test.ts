import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@closedloop/config';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken } from './auth/tokens.ts';
import type { Logger } from './log.ts';
import { startServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rules = resolve(import.meta.dirname, '../../../../examples/rules/cx-program');
const segmentsFile = resolve(import.meta.dirname, '../../../../examples/rules/segments.json');
const people = [
  'cx-director',
  'emea-lead',
  'ana',
  'luis',
  'giulia',
  'piotr',
  'billing-lead',
  'logistics',
].map((id) => ({ id, name: id, email: `${id}@example.com` }));

const quiet = () => {};

/** A fresh API token on the server's store, as `Authorization` header. */
async function bearer(
  server: { runtime: { loop: { store: Parameters<typeof createToken>[0] } } },
  name = 'tests',
) {
  const { token } = await createToken(server.runtime.loop.store, { name, scopes: ['admin'] });
  return { authorization: `Bearer ${token}` };
}

describe('closedloop serve', () => {
  it('runs on a SQLite file with rule files and an .eml folder, and keeps cases across a restart', async () => {
    const file = join(dir, 'closedloop.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        store: 'data/cx.sqlite',
        directory: people,
        segments: segmentsFile,
        rules,
        connectors: { email: { from: 'cx@example.com', transport: { kind: 'directory', path: 'outbox' } } },
        http: { port: 0 },
      }),
    );
    const config = loadConfig(file);
    const first = await startServer(config, { logger: quiet });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = await bearer(first);
    const res = await fetch(`${first.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        source: { tool: 'api', responseId: 'restart-1' },
        customer: { email: 'marta@example.com', segment: 'es' },
        nps: 1,
        comment: 'The parcel never arrived',
      }),
    });
    expect(res.status).toBe(201);
    const { case: created } = (await res.json()) as { case: { id: string; segment: string } };
    expect(created.segment).toBe('es');
    await first.runtime.loop.idle();
    await first.close();
    expect(readdirSync(join(dir, 'outbox')).some((f) => f.endsWith('.eml'))).toBe(true);

    const second = await startServer(config, { logger: quiet });
    try {
      // The token is kept (hashed) in the store, so it still works after the restart.
      const again = await fetch(`${second.url}/v1/cases/${created.id}`, { headers: auth });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { id: string }).id).toBe(created.id);
    } finally {
      await second.close();
    }
  });

  it('swaps in a valid change to the rule folder and keeps the running rules on an invalid one', async () => {
    const folder = join(dir, 'rules-hot');
    cpSync(rules, folder, { recursive: true });
    const logs: string[] = [];
    const logger: Logger = (_level, message) => logs.push(message);
    const config = loadConfig(
      (() => {
        const file = join(dir, 'hot.config.json');
        writeFileSync(
          file,
          JSON.stringify({
            store: ':memory:',
            directory: people,
            segments: segmentsFile,
            rules: folder,
            http: { port: 0 },
          }),
        );
        return file;
      })(),
    );
    const server = await startServer(config, { logger });
    const waitFor = async (message: string) => {
      for (let i = 0; i < 100 && !logs.includes(message); i++) await new Promise((r) => setTimeout(r, 50));
      expect(logs).toContain(message);
    };
    try {
      const route = join(folder, 'route.json');
      const text = readFileSync(route, 'utf8');
      writeFileSync(
        route,
        text.replace('A case per detractor in its segment', 'A case per detractor, hot reloaded'),
      );
      await waitFor('rules reloaded');
      writeFileSync(route, '{ "kind": "route", "rules": [ ');
      await waitFor('rules not reloaded: the running rules stay in place');
      const res = await fetch(`${server.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await bearer(server)) },
        body: JSON.stringify({
          source: { tool: 'api', responseId: 'hot-1' },
          customer: { email: 'hot@example.com', segment: 'it' },
          nps: 2,
        }),
      });
      expect(res.status).toBe(201);
    } finally {
      await server.close();
    }
  });

  it("refuses to start when a secret's environment variable is not set, naming it", async () => {
    const config = loadConfig(
      (() => {
        const file = join(dir, 'secret.config.json');
        writeFileSync(
          file,
          JSON.stringify({
            store: ':memory:',
            directory: people,
            segments: segmentsFile,
            inbound: { typeform: { secret: { env: 'CLOSEDLOOP_TEST_UNSET_SECRET' } } },
            http: { port: 0 },
          }),
        );
        return file;
      })(),
    );
    await expect(startServer(config, { logger: quiet, env: {} })).rejects.toThrow(
      'environment variable CLOSEDLOOP_TEST_UNSET_SECRET is not set',
    );
  });

  it('finishes a request in flight before it closes the loop on shutdown', async () => {
    const config = loadConfig(
      (() => {
        const file = join(dir, 'shutdown.config.json');
        writeFileSync(
          file,
          JSON.stringify({ store: ':memory:', directory: people, segments: segmentsFile, http: { port: 0 } }),
        );
        return file;
      })(),
    );
    const server = await startServer(config, { logger: quiet });
    const body = JSON.stringify({
      source: { tool: 'api', responseId: 'in-flight' },
      customer: { email: 'late@example.com', segment: 'es' },
      nps: 2,
    });
    let push!: (chunk: string | null) => void;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        push = (chunk) => (chunk === null ? c.close() : c.enqueue(new TextEncoder().encode(chunk)));
      },
    });
    const auth = await bearer(server);
    const answer = fetch(`${server.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    push(body.slice(0, 20));
    await new Promise((r) => setTimeout(r, 100));
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    push(body.slice(20));
    push(null);
    expect((await answer).status).toBe(201);
    await closing;
    expect(closed).toBe(true);
  });
});

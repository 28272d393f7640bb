// A rule version published through one replica reaches the others within their poll, and each
// decision records the version it used.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { memoryStore, postgresStore, watchDocument } from '@closedloop/core';
import { describe, expect, inject, test } from 'vitest';
import { parseConfig } from '../config/config.ts';
import { createRuntime } from './runtime.ts';

const rules = resolve(import.meta.dirname, '../../../../examples/rules/cx-program');
const segments = resolve(import.meta.dirname, '../../../../examples/rules/segments.json');
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

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe('watchDocument', () => {
  test('tells of a write or a delete by another store on the same database; a failed handler is retried', async () => {
    const schema = `watch_${process.pid}_${Date.now().toString(36)}`;
    const url = inject('pgUrl');
    const writer = postgresStore({ connectionString: url, schema, max: 2 });
    const reader = postgresStore({ connectionString: url, schema, max: 2 });
    try {
      await writer.documents.put('rules', 'current', { version: 'v1' });
      const seen: (string | undefined)[] = [];
      let failOnce = true;
      const watch = watchDocument<{ version: string }>(reader, 'rules', 'current', (doc) => {
        if (doc?.value.version === 'v3' && failOnce) {
          failOnce = false;
          throw new Error('not now');
        }
        seen.push(doc?.value.version);
      });
      await watch.check(); // the version at start is not a change
      await writer.documents.put('rules', 'current', { version: 'v2' });
      await watch.check();
      await writer.documents.put('rules', 'current', { version: 'v3' });
      await watch.check();
      await watch.check();
      await writer.documents.delete('rules', 'current');
      await watch.check();
      watch.close();
      expect(seen).toEqual(['v2', 'v3', undefined]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  test('with `initial`, the document as it is at start counts', async () => {
    const store = memoryStore();
    await store.documents.put('k', 'i', 1);
    const seen: unknown[] = [];
    const watch = watchDocument(store, 'k', 'i', (d) => void seen.push(d?.value), { initial: true });
    await watch.check();
    watch.close();
    expect(seen).toEqual([1]);
  });
});

describe('published rules across serve replicas', () => {
  test('a version published in the store is running in every replica within its poll', async () => {
    const schema = `rules_sync_${process.pid}_${Date.now().toString(36)}`;
    const env = { TEAM_DB_URL: inject('pgUrl') };
    const config = parseConfig(
      { store: { postgres: { urlEnv: 'TEAM_DB_URL', schema } }, directory: people, segments, rules },
      process.cwd(),
    );
    const replicas = [0, 1].map(() => createRuntime(config, { logger: () => {}, env, rulesPollMs: 25 }));
    try {
      const files = Object.fromEntries(
        ['classify', 'route', 'alert', 'sla', 'escalate'].map((k) => [
          k,
          JSON.parse(readFileSync(join(rules, `${k}.json`), 'utf8')),
        ]),
      );
      // What the rules API's publish writes, here from a third process.
      const publisher = postgresStore({ connectionString: env.TEAM_DB_URL, schema, max: 1 });
      await publisher.documents.put('rules.version', 'v-published-2', { files, publishedBy: 'ana' });
      await publisher.documents.put('rules', 'current', { version: 'v-published-2' });
      await publisher.close();
      for (const [i, r] of replicas.entries()) {
        const c = await until(
          async () =>
            (
              await r.loop.capture({
                source: { tool: 'api', responseId: `probe-${i}-${Math.random()}` },
                customer: { email: 'marta@example.com', segment: 'es' },
                nps: 1,
                comment: 'The parcel never arrived',
              })
            ).case,
          (c) => JSON.stringify(c?.audit ?? []).includes('rules v-published-2'),
          `replica ${i} runs the published version`,
        );
        expect(JSON.stringify(c!.audit)).toContain('rules v-published-2');
      }
    } finally {
      for (const r of replicas) await r.close();
    }
  });
});

import { memoryStore, watchDocument } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import { describe, expect, inject, test } from 'vitest';

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

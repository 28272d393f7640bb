import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runExample } from './loop.ts';

test('the embedded example closes the loop for one detractor', async () => {
  const { dir, case: c, csv } = await runExample();
  expect(c).toMatchObject({ status: 'resolved', rootCause: 'carrier delay', owner: 'ana' });
  expect(c.customerInformedAt).toBeDefined();
  expect(c.audit.map((a) => a.action)).toEqual([
    'created',
    'status',
    'comment',
    'resolved',
    'resolved',
    'customerInformed',
  ]);
  expect(csv.split('\r\n')[1]).toContain(c.id);
  // Created, updated ×3, and the message to Marta.
  expect(readdirSync(join(dir, 'mail')).filter((f) => f.endsWith('.eml'))).toHaveLength(5);
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { exportCases, importWave } from './data.ts';

const examples = resolve(import.meta.dirname, '../../../../examples/rules');
const quiet = { out: () => {}, err: () => {}, progress: false };

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'closedloop-data-'));
  const config = join(dir, 'closedloop.config.json');
  const person = (id: string) => ({ id, name: id, email: `${id}@shop.example` });
  writeFileSync(
    config,
    JSON.stringify({
      store: 'data/loop.sqlite',
      directory: ['cx-director', 'emea-lead', 'ana', 'luis', 'giulia', 'piotr'].map(person),
      segments: join(examples, 'segments.json'),
      rules: join(examples, 'cx-program'),
      connectors: { email: { from: 'care@shop.example', transport: { kind: 'directory', path: 'mail' } } },
    }),
  );
  return { dir, config };
}

test('a survey wave is imported through the loop once, bad rows named by line', async () => {
  const { dir, config } = setup();
  const csv = [
    'response_id,email,segment,nps,comment,language',
    'w1,sara@example.it,it,2,"La fattura è sbagliata, di nuovo",it',
    'w2,lucia@example.es,es-madrid,4,El envío llegó roto,es',
    'w3,tom@example.com,all,9,Great service,en',
    'w4,ewa@example.pl,pl,3,"Rezygnuję, za drogo",pl',
    'w5,bad@example.com,all,eleven,?,en',
    '',
  ].join('\n');
  const file = join(dir, 'wave.csv');
  writeFileSync(file, csv);
  const rows = csv.trim().split('\n').length - 1;

  const first = await importWave(file, { config }, quiet);
  expect(first.rows).toBe(rows);
  expect(first.captured).toBe(rows - 1);
  expect(first.cases).toBeGreaterThan(0);
  expect(first.refused).toHaveLength(1);
  expect(first.refused[0]!.line).toBe(rows + 1);

  const again = await importWave(file, { config }, quiet);
  expect(again).toMatchObject({ captured: 0, duplicates: rows - 1 });

  let out = '';
  const n = await exportCases({ config, format: 'csv' }, { ...quiet, out: (t) => (out += t) });
  expect(n).toBe(first.cases);
  expect(out.split('\r\n')[0]).toMatch(/^id,status,priority,segment,owner,customerEmail/);
  expect(out.trim().split('\r\n')).toHaveLength(first.cases + 1);

  const json = join(dir, 'open.json');
  await exportCases({ config, format: 'json', status: ['new'], out: json }, quiet);
  const cases = JSON.parse(readFileSync(json, 'utf8')) as { status: string }[];
  expect(cases.length).toBe(first.cases);
  expect(cases.every((c) => c.status === 'new')).toBe(true);
});

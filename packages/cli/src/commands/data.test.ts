import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { idsFor, sqliteStore } from '@closedloop/core';
import { expect, test } from 'vitest';
import { exportCases, importWave } from './data.ts';

const examples = resolve(import.meta.dirname, '../../../../examples/rules');
const quiet = { out: () => {}, err: () => {}, progress: false };

function setup(extra: Record<string, unknown> = {}) {
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
      ...extra,
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

async function casesOf(dir: string) {
  const store = sqliteStore({ path: join(dir, 'data/loop.sqlite') });
  await store.init();
  try {
    return (await store.listCases({})).cases;
  } finally {
    await store.close();
  }
}

const write = (dir: string, name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

test('a response re-exported with an edited comment updates its feedback and case, no second case', async () => {
  const { dir, config } = setup();
  const head = 'Response ID,Submitted At,Email,segment,NPS Score,Comment';
  const file = write(dir, 'w.csv', `${head}\nR_1,2026-03-02T10:00:00Z,sara@example.it,it,2,Late\n`);
  const first = await importWave(file, { config }, quiet);
  expect(first).toMatchObject({ captured: 1, cases: 1 });
  write(
    dir,
    'w.csv',
    `${head}\nR_1,2026-03-02T10:00:00Z,sara@example.it,it,2,"Late, and the invoice is wrong"\n`,
  );
  const again = await importWave(file, { config }, quiet);
  expect(again).toMatchObject({ captured: 0, updated: 1, cases: 0 });
  const cases = await casesOf(dir);
  expect(cases).toHaveLength(1);
  expect(cases[0]!.feedbackComment).toBe('Late, and the invoice is wrong');
});

test('an old wave: the case carries the answer date, the SLA starts at import and the log says so', async () => {
  const { dir, config } = setup();
  const file = write(
    dir,
    'old.csv',
    'Response ID,Submitted At,Email,segment,NPS Score\nold1,2025-06-01T08:00:00Z,ana@example.es,es,1\n',
  );
  const before = Date.now();
  await importWave(file, { config }, quiet);
  const [c] = await casesOf(dir);
  expect(c!.answeredAt).toBe('2025-06-01T08:00:00.000Z');
  expect(Date.parse(c!.createdAt)).toBeGreaterThanOrEqual(before - 1000);
  expect(Date.parse(c!.sla.firstResponseDue!)).toBeGreaterThan(Date.parse(c!.createdAt));
  expect(c!.audit[0]!.note).toMatch(
    /answered 2025-06-01, \d+ day\(s\) before the case opened: SLA clocks start at import/,
  );
});

test('--learn-only stores the wave for analytics and opens no case', async () => {
  const { dir, config } = setup();
  const file = write(
    dir,
    'learn.csv',
    'Response ID,Submitted At,Email,segment,NPS Score\nl1,2025-06-01,ana@example.es,es,0\nl2,2025-06-02,luis@example.es,es,1\n',
  );
  const s = await importWave(file, { config, learnOnly: true }, quiet);
  expect(s).toMatchObject({ captured: 2, cases: 0, refused: [] });
  expect(await casesOf(dir)).toEqual([]);
  const store = sqliteStore({ path: join(dir, 'data/loop.sqlite') });
  await store.init();
  const loop = await store.getLoop(idsFor({ tool: 'csv', responseId: 'l1' }).loopId);
  await store.close();
  expect(loop?.snapshot.state).toBe('learned');
  expect(loop?.snapshot.context.feedback).toMatchObject({ nps: 0, receivedAt: '2025-06-01T00:00:00.000Z' });
});

test('unknown segments are refused by line, or sent to the default segment with a warning; a mapping file names columns', async () => {
  const { dir, config } = setup();
  const csv =
    'Ref,Submitted At,Email,Zona,NPS Score\nm1,2026-03-02,ana@example.es,Spain,2\n\nm2,2026-03-02,bob@example.com,Narnia,3\n';
  const file = write(dir, 'seg.csv', csv);
  const mapping = write(dir, 'mapping.json', JSON.stringify({ responseId: ['Ref'], segment: ['Zona'] }));
  const refused = await importWave(file, { config, mapping }, quiet);
  expect(refused).toMatchObject({ captured: 1, cases: 1 });
  expect(refused.refused).toEqual([
    { line: 4, error: expect.stringContaining('segment "Narnia" is not a configured segment') },
  ]);
  const withDefault = await importWave(file, { config, mapping, defaultSegment: 'all' }, quiet);
  expect(withDefault).toMatchObject({ captured: 1, duplicates: 1, refused: [] });
  expect(withDefault.warnings).toEqual([{ line: 4, error: expect.stringContaining('imported into "all"') }]);
  expect((await casesOf(dir)).map((c) => c.segment).sort()).toEqual(['all', 'es']);
});

test('the config names the mapping and the default segment; a misspelt mapping key is refused with the key meant', async () => {
  const { dir, config } = setup({ import: { mapping: { nps: ['Puntuación'] }, defaultSegment: 'all' } });
  const file = write(
    dir,
    'c.csv',
    'id,Submitted At,Email,segment,Puntuación\nc1,2026-03-02,ana@example.es,mars,3\n',
  );
  const s = await importWave(file, { config }, quiet);
  expect(s).toMatchObject({ captured: 1, refused: [] });
  expect(s.warnings).toHaveLength(1);
  const bad = write(dir, 'bad-mapping.json', JSON.stringify({ responseID: ['x'] }));
  await expect(importWave(file, { config, mapping: bad }, quiet)).rejects.toMatchObject({
    issues: [{ path: '(root)', message: 'unknown field "responseID": did you mean "responseId"?' }],
  });
});

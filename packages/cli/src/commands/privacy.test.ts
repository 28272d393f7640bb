import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { importWave } from './data.ts';
import { doNotContact, erasePerson, exportPerson, retention } from './privacy.ts';

const quiet = { out: () => {}, err: () => {}, progress: false };

test('closedloop privacy export, erase, export: the person is gone from the SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closedloop-privacy-'));
  const config = join(dir, 'closedloop.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: 'data/loop.sqlite',
      directory: [{ id: 'ana', name: 'Ana', email: 'ana@shop.example' }],
      segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
    }),
  );
  const wave = join(dir, 'wave.csv');
  writeFileSync(
    wave,
    [
      'response_id,email,segment,nps,comment',
      'w1,jon.privacy-5120@example.es,es,2,El técnico no vino 5120',
      'w2,other@example.es,es,9,Todo bien',
      '',
    ].join('\n'),
  );
  await importWave(wave, { config }, quiet);

  const out = join(dir, 'export.json');
  await exportPerson({ config, email: 'jon.privacy-5120@example.es', out }, quiet);
  expect(JSON.parse(readFileSync(out, 'utf8')).records.feedback[0].comment).toBe('El técnico no vino 5120');

  let printed = '';
  const result = await erasePerson(
    { config, email: 'jon.privacy-5120@example.es', actor: 'dpo' },
    { ...quiet, out: (t) => (printed += t) },
  );
  expect(result.counts.feedback).toBe(1);
  expect(printed).toMatch(/^Erased: 1 feedback, 1 case\(s\)/);
  const raw = readFileSync(join(dir, 'data/loop.sqlite')).toString('latin1');
  expect(raw).not.toContain('jon.privacy-5120');
  expect(raw).toContain('other@example.es');

  let json = '';
  await exportPerson({ config, email: 'jon.privacy-5120@example.es' }, { ...quiet, out: (t) => (json += t) });
  expect(JSON.parse(json).records).toEqual({ feedback: [], cases: [], loops: [], deliveries: [] });
  await expect(erasePerson({ config }, quiet)).rejects.toThrow(/--email <address> or --customer-id/);
});

test('closedloop privacy retention: a dry run reports, a real run anonymises old comments, dnc lists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closedloop-retention-'));
  const config = join(dir, 'closedloop.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: 'data/loop.sqlite',
      directory: [{ id: 'ana', name: 'Ana', email: 'ana@shop.example' }],
      segments: [{ id: 'es', name: 'Spain', managers: ['ana'] }],
      retention: { comments: 'P18M', every: 'P1D' },
    }),
  );
  const wave = join(dir, 'wave.csv');
  writeFileSync(
    wave,
    [
      'response_id,email,segment,nps,comment,received_at',
      'old,old@example.es,es,9,Un comentario antiguo 7001,2020-01-15T10:00:00Z',
      `new,new@example.es,es,9,Un comentario reciente 7002,${new Date().toISOString()}`,
      '',
    ].join('\n'),
  );
  await importWave(wave, { config }, quiet);
  const dry = await retention({ config, dryRun: true }, quiet);
  expect(dry.anonymised.comments).toBe(1);
  const raw = () => readFileSync(join(dir, 'data/loop.sqlite')).toString('utf8');
  expect(raw()).toContain('Un comentario antiguo 7001');
  let out = '';
  const real = await retention({ config }, { ...quiet, out: (t) => (out += t) });
  expect(real.anonymised.comments).toBe(1);
  expect(out).toMatch(/^Anonymised \(2 loops looked at\): 1 comment/);
  expect(raw()).not.toContain('Un comentario antiguo 7001');
  expect(raw()).toContain('Un comentario reciente 7002');

  expect(await doNotContact('add', { config, email: 'Old@example.es' }, quiet)).toBe(true);
  expect(await doNotContact('check', { config, email: 'old@example.es' }, quiet)).toBe(true);
  expect(await doNotContact('remove', { config, email: 'old@example.es' }, quiet)).toBe(false);
});

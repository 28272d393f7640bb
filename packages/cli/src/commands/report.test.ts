import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '@closedloop/core';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, load, segments } from '../../../core/src/learn/analytics.suite.ts';
import { type ReportIo, registerReportCommand } from './report.ts';

let dir: string;
let db: string;
let segmentsFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-cli-'));
  db = join(dir, 'closedloop.sqlite');
  const store = sqliteStore({ path: db, synchronous: 'NORMAL' });
  await store.init();
  await load(store, ANSWERS);
  await store.close();
  segmentsFile = join(dir, 'segments.json');
  writeFileSync(segmentsFile, JSON.stringify(segments.all()));
});

async function run(...args: string[]): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  let out = '';
  let err = '';
  const io: ReportIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  const program = new Command('closedloop').exitOverride();
  registerReportCommand(program, io);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'closedloop', 'report', ...args]);
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strip colours for assertions
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  return { out: plain(out), err: plain(err), exitCode };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('closedloop report', () => {
  it('prints the weekly report of a segment to the terminal', async () => {
    const r = await run(
      '--db',
      db,
      '--segments',
      segmentsFile,
      '--period',
      'week',
      '--segment',
      'EU',
      '--at',
      '2026-01-13T08:00:00Z',
    );
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('Weekly trend report — 2026-01-05 – 2026-01-11 — Europe');
    expect(r.out).toMatch(/NPS\s+-40 \(previous 0\)/);
    expect(r.out).toContain('By segment (with sub-segments)');
  });

  it('writes an HTML file with inline charts', async () => {
    const out = join(dir, 'weekly.html');
    const r = await run(
      '--db',
      db,
      '--segments',
      segmentsFile,
      '--format',
      'html',
      '--out',
      out,
      '--at',
      '2026-01-13T08:00:00Z',
    );
    expect(r.exitCode).toBeUndefined();
    expect(r.err).toContain(`Weekly trend report written to ${out}`);
    expect(readFileSync(out, 'utf8')).toContain('aria-label="NPS trend"');
  });

  it('prints JSON, CSV and a MIME email', async () => {
    const json = await run('--db', db, '--period', 'day', '--format', 'json', '--at', '2026-01-06T08:00:00Z');
    expect(JSON.parse(json.out)).toMatchObject({
      cadence: 'daily',
      redFlags: [{ comment: '<b>late</b> & "broken"' }],
    });
    const csv = await run('--db', db, '--period', 'month', '--format', 'csv', '--at', '2026-02-01T08:00:00Z');
    expect(csv.out).toContain('rootCauses,carrier,2,100,100');
    const mail = await run(
      '--db',
      db,
      '--format',
      'email',
      '--mail-to',
      'eva@example.com',
      '--at',
      '2026-01-13T08:00:00Z',
    );
    expect(mail.out).toContain('To: eva@example.com');
    expect(mail.out).toContain('multipart/alternative');
  });

  it('works without a segments file, each stored segment a root', async () => {
    const r = await run('--db', db, '--segment', 'EU-FR', '--at', '2026-01-13T08:00:00Z');
    expect(r.exitCode).toBeUndefined();
    expect(r.out).toContain('— EU-FR');
  });

  it('fails with a clear message on bad arguments', async () => {
    expect(await run('--db', db, '--period', 'fortnight')).toMatchObject({
      exitCode: 1,
      err: 'error: --period "fortnight" is not one of day, week, month, quarter\n',
    });
    expect((await run('--db', join(dir, 'nope.sqlite'))).err).toContain('No SQLite store at');
    expect((await run('--period', 'week')).err).toContain(
      'no closedloop.config.json or closedloop.config.ts here: pass --config <file>',
    );
    expect((await run('--db', db, '--format', 'pdf')).err).toContain(
      '--format "pdf" is not one of text, html, json, csv, email',
    );
    expect((await run('--db', db, '--format', 'email')).err).toContain(
      '--format email needs at least one --mail-to',
    );
    expect((await run('--db', db, '--segments', segmentsFile, '--segment', 'ASIA')).err).toContain(
      'Unknown segment "ASIA"',
    );
    expect((await run('--db', db, '--at', 'yesterday-ish')).exitCode).toBe(1);
    expect((await run('--db', db, '--from', '2026-01-01')).err).toContain('--from and --to go together');
    expect((await run('--db', db, '--from', '2026-01-01', '--to', '2026-02-30')).err).toContain(
      '--to "2026-02-30" is not a date',
    );
  });

  it('reports any range (a wave), --to including its whole day', async () => {
    const r = await run('--db', db, '--from', '2026-01-01', '--to', '2026-01-31', '--format', 'json');
    expect(r.exitCode).toBeUndefined();
    const report = JSON.parse(r.out);
    expect(report.range).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    expect(report.previous).toEqual({ from: '2025-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
    expect(report.summary.nps.responses).toBeGreaterThan(0);
    const text = await run('--db', db, '--from', '2026-01-01', '--to', '2026-01-31');
    expect(text.out).toContain('Report — 2026-01-01 – 2026-01-31');
  });

  it('runs on the store a config names, with its segments: names not ids, generated now, empty sections say why', async () => {
    const config = join(dir, 'closedloop.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: db,
        directory: [{ id: 'eva', name: 'Eva', email: 'eva@example.com' }],
        segments: segments.all(),
      }),
    );
    const before = Date.now();
    const html = await run('-c', config, '--format', 'html', '--from', '2026-01-05', '--to', '2026-01-11');
    expect(html.exitCode).toBeUndefined();
    const bySegment = html.out.slice(html.out.indexOf('By segment'), html.out.indexOf('By touchpoint'));
    expect(bySegment).toContain('>Europe<');
    expect(bySegment).not.toContain('>EU<');
    const generated = /generated ([0-9T:.-]+Z)/.exec(html.out)?.[1];
    expect(Date.parse(generated!)).toBeGreaterThanOrEqual(before - 1000);
    const empty = await run('-c', config, '--format', 'html', '--from', '2030-01-01', '--to', '2030-01-31');
    expect(empty.out).toContain('No NPS answer in the trend’s periods, so there is no trend to draw.');
    expect(empty.out).toContain(
      'No answer between 2030-01-01 and 2030-01-31 was given a topic by the classify rules.',
    );
    expect(empty.out).toContain('No NPS answer between 2030-01-01 and 2030-01-31 in these segments.');
    expect(empty.out).not.toContain('None.');
  });

  it("writes CSV numbers as numbers with one decimal, never as text like '+10", async () => {
    const csv = await run('--db', db, '--period', 'week', '--format', 'csv', '--at', '2026-01-13T08:00:00Z');
    expect(csv.out).not.toContain("'");
    expect(csv.out).toMatch(/^summary,NPS,-?\d+(\.\d)?\r$/m);
    const numeric = csv.out
      .split('\r\n')
      .filter((l) => l.startsWith('trend,'))
      .flatMap((l) => l.split(',').slice(2))
      .filter((c) => c !== '');
    expect(numeric.length).toBeGreaterThan(0);
    for (const c of numeric) expect(c).toMatch(/^-?\d+(\.\d)?$/);
  });
});

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
    expect(csv.out).toContain('rootCauses,carrier,2,100%,100%');
    const mail = await run(
      '--db',
      db,
      '--format',
      'email',
      '--to',
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
    expect((await run('--period', 'week')).err).toContain('--db <file> is required');
    expect((await run('--db', db, '--format', 'pdf')).err).toContain(
      '--format "pdf" is not one of text, html, json, csv, email',
    );
    expect((await run('--db', db, '--format', 'email')).err).toContain(
      '--format email needs at least one --to',
    );
    expect((await run('--db', db, '--segments', segmentsFile, '--segment', 'ASIA')).err).toContain(
      'Unknown segment "ASIA"',
    );
    expect((await run('--db', db, '--at', 'yesterday-ish')).exitCode).toBe(1);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv, writeCsv } from '@closedloop/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFeedbackCsv, parseFeedbackJson } from './import.ts';
import { readDate } from './import-values.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'import-fixtures', name), 'utf8');
const segments = ['es', 'uk', 'it', 'de', 'pl', 'all'].map((id) => ({ id, name: id.toUpperCase() }));

describe('survey-tool exports are read by their own headers', () => {
  it('Typeform: # is the response id, Submit Date (UTC) the date, a first-name answer is not the comment', () => {
    const { rows, issues } = parseFeedbackCsv(fixture('typeform.csv'), { tool: 'typeform' });
    expect(issues).toEqual([]);
    expect(rows.map((r) => r.line)).toEqual([2, 4]);
    const [marta, tom] = rows.map((r) => r.feedback);
    expect(marta).toMatchObject({
      source: { tool: 'typeform', responseId: 'a1b2c3d4e5f6g7h8i9j0' },
      customer: { email: 'marta@example.com', segment: 'es' },
      nps: 3,
      comment: 'The parcel arrived broken,\nand nobody answered my emails',
      receivedAt: '2026-01-15T10:23:45.000Z',
    });
    expect(tom!.comment).toBeUndefined();
    expect(tom!.answers).toEqual([{ question: 'What is your first name?', answer: 'Tom' }]);
  });

  it('SurveyMonkey: Respondent ID, End Date in US format, the second header row marks the comment', () => {
    const { rows, issues } = parseFeedbackCsv(fixture('surveymonkey.csv'), {
      mapping: { segment: ['Custom Data 1'] },
    });
    expect(issues).toEqual([]);
    expect(rows[0]!.line).toBe(3);
    expect(rows[0]!.feedback).toMatchObject({
      source: { responseId: '114367289012' },
      customer: { email: 'lucia@example.es', name: 'Lucía García', segment: 'es' },
      nps: 2,
      comment: 'Llegó tarde y sin disculpas',
      receivedAt: '2026-01-15T10:23:45.000Z',
    });
    expect(rows[1]!.feedback).toMatchObject({ nps: 9, receivedAt: '2026-01-16T15:02:10.000Z' });
    // The IP address is export metadata: neither an answer nor an attribute.
    expect(JSON.stringify(rows)).not.toContain('203.0.113');
  });

  it('Qualtrics: three header rows, ResponseId, RecordedDate, the NPS question by its text, not its group', () => {
    const { rows, issues } = parseFeedbackCsv(fixture('qualtrics.csv'));
    expect(issues).toEqual([]);
    expect(rows.map((r) => r.line)).toEqual([4, 5]);
    expect(rows[0]!.feedback).toMatchObject({
      source: { responseId: 'R_1a2B3c4D5e6F7g8' },
      customer: { email: 'sara@example.it', id: 'CUST-1001', name: 'Sara Rossi', segment: 'it' },
      nps: 4,
      comment: 'La fattura è sbagliata',
      language: 'it',
      receivedAt: '2026-01-15T10:23:46.000Z',
    });
    expect(rows[1]!.feedback).toMatchObject({ nps: 8, customer: { id: 'CUST-1002' } });
    expect(rows[1]!.feedback.comment).toBeUndefined();
  });

  it('Delighted and Google Forms', () => {
    const d = parseFeedbackCsv(fixture('delighted.csv'));
    expect(d.issues).toEqual([]);
    expect(d.rows[0]!.feedback).toMatchObject({
      source: { responseId: '219876543' },
      customer: { email: 'ewa@example.pl', name: 'Ewa Kowalska', segment: 'pl' },
      nps: 1,
      comment: 'Rezygnuję, za drogo',
      receivedAt: '2026-01-18T12:00:00.000Z',
    });
    const g = parseFeedbackCsv(fixture('google-forms.csv'));
    expect(g.issues).toEqual([]);
    expect(g.rows[0]!.feedback).toMatchObject({
      customer: { email: 'ana@example.es' },
      nps: 6,
      comment: 'Precio alto',
      receivedAt: '2026-01-19T14:05:09.000Z',
    });
  });

  it('plain headers such as NPS Score, How likely are you to recommend us?, Submitted At and Response ID', () => {
    const a = parseFeedbackCsv(
      'Response ID,Submitted At,NPS Score,Comment\nx1,2026-03-02T09:00:00Z,4,Slow\n',
    );
    expect(a.rows[0]!.feedback).toMatchObject({
      source: { responseId: 'x1' },
      nps: 4,
      comment: 'Slow',
      receivedAt: '2026-03-02T09:00:00.000Z',
    });
    const b = parseFeedbackCsv('How likely are you to recommend us?,Submitted At\n9,2026-03-02\n');
    expect(b.rows[0]!.feedback).toMatchObject({ nps: 9, receivedAt: '2026-03-02T00:00:00.000Z' });
  });

  it('a mapping names some columns and the rest are still recognised', () => {
    const { rows } = parseFeedbackCsv(
      'Ref,Puntuación,NPS Score,Submitted At,Comment\nz9,7,2,2026-03-02,Bien\n',
      { mapping: { responseId: ['ref'], nps: ['Puntuación'] } },
    );
    expect(rows[0]!.feedback).toMatchObject({
      source: { responseId: 'z9' },
      nps: 7,
      comment: 'Bien',
      receivedAt: '2026-03-02T00:00:00.000Z',
    });
  });
});

describe('a row whose score or date cannot be read is refused with the line of the file', () => {
  const wave = [
    '\uFEFFResponse ID;Submitted At;NPS Score;Comment',
    '',
    'r1;2026-09-30;3;"Two',
    'lines"',
    '',
    'r2;not-a-date;2;x',
    'r3;2026-09-31;2;x',
    'r4;2026-02-29;2;x',
    'r5;2026-03-01;eleven;x',
    'r6;;5;no date',
    'r7;31/01/2026;8;',
  ].join('\r\n');

  it('names each refused row by its line, after blank lines and a quoted multi-line field', () => {
    const { rows, issues } = parseFeedbackCsv(wave);
    expect(rows.map((r) => [r.line, r.feedback.source.responseId])).toEqual([[3, 'r1']]);
    expect(issues).toEqual([
      {
        line: 6,
        error:
          '"Submitted At": "not-a-date" is not a date: use ISO 8601 such as 2026-01-15 or 2026-01-15T10:30:00Z',
      },
      { line: 7, error: '"Submitted At": "2026-09-31" is not a real date: September 2026 has 30 days' },
      { line: 8, error: '"Submitted At": "2026-02-29" is not a real date: February 2026 has 28 days' },
      { line: 9, error: '"NPS Score" (NPS): "eleven" is not a score from 0 to 10' },
      { line: 10, error: '"Submitted At" is empty: give the date the answer was given' },
      { line: 11, error: '"Submitted At": "31/01/2026" has month 31: not a real date' },
    ]);
  });

  it('reads day-first slash dates when told to', () => {
    const { rows } = parseFeedbackCsv('id,date,nps\nr7,31/01/2026,8\n', { dayFirst: true });
    expect(rows[0]!.feedback.receivedAt).toBe('2026-01-31T00:00:00.000Z');
  });

  it('an unreadable record is listed with its line and the rows after it are read', () => {
    const { rows, issues } = parseFeedbackCsv('id,nps,comment\na,1,"never closed\nb,2,fine\n');
    expect(issues).toEqual([
      { line: 2, error: expect.stringMatching(/^not readable as CSV: Quote Not Closed/) },
    ]);
    expect(rows.map((r) => [r.line, r.feedback.source.responseId])).toEqual([[3, 'b']]);
  });

  it('a row with more cells than the header is refused, not cut', () => {
    const { issues } = parseFeedbackCsv('id,nps\na,1,surplus\n');
    expect(issues).toEqual([
      { line: 2, error: '3 cells but the header has 2 columns: quote cells that hold the delimiter ","' },
    ]);
  });
});

describe('segments', () => {
  const csv = 'id,segment,nps\na,ES,2\nb,narnia,3\n';

  it('an unknown segment is refused, naming the known ones', () => {
    const { rows, issues } = parseFeedbackCsv(csv, { segments });
    expect(rows.map((r) => r.feedback.customer.segment)).toEqual(['es']);
    expect(issues).toEqual([
      {
        line: 3,
        error:
          'segment "narnia" is not a configured segment (known: es, uk, it, de, pl, all): fix the file, add the segment, or set import.defaultSegment',
      },
    ]);
  });

  it('or goes to the configured default segment with a warning', () => {
    const { rows, issues, warnings } = parseFeedbackCsv(csv, { segments, defaultSegment: 'all' });
    expect(issues).toEqual([]);
    expect(rows.map((r) => r.feedback.customer.segment)).toEqual(['es', 'all']);
    expect(warnings).toEqual([
      { line: 3, error: 'segment "narnia" is not configured: imported into "all" (the default segment)' },
    ]);
  });

  it('JSON feedback objects are checked the same way', () => {
    const json = JSON.stringify([
      {
        source: { tool: 'app', responseId: 'j1' },
        customer: { email: 'a@example.com', segment: 'narnia' },
        nps: 1,
      },
    ]);
    expect(parseFeedbackJson(json, { segments }).issues[0]).toMatchObject({
      line: 1,
      error: expect.stringContaining('narnia'),
    });
  });
});

describe('dates', () => {
  it.each([
    ['2026-01-15T10:23:45+02:00', '2026-01-15T08:23:45.000Z'],
    ['2026-01-15 10:23:45', '2026-01-15T10:23:45.000Z'],
    ['01/15/2026 10:23:45 PM', '2026-01-15T22:23:45.000Z'],
    ['1/15/2026 12:05:09 AM', '2026-01-15T00:05:09.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['1768472625', '2026-01-15T10:23:45.000Z'],
  ])('reads %s', (text, iso) => {
    expect(readDate(text)).toEqual({ ok: true, value: iso });
  });

  it.each(['2026-13-01', '2026-04-31', '2026-01-15T25:00:00Z', '15.01.26', 'yesterday', ''])(
    'refuses %j',
    (text) => {
      expect(readDate(text).ok).toBe(false);
    },
  );
});

describe('the CSV reader (fuzzed)', () => {
  const cell = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('a,b', 'x;y', 'say "hi"', 'two\nlines', 'crlf\r\nline', ' padded ', '=1+1', '-5', ''),
  );

  it('reads back what the writer wrote, with the line each record starts on', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { maxLength: 8 }), (body) => {
        const rows = [['a', 'b'], ...body.map(([x, y]) => [x!, `k${y}`])];
        const text = writeCsv(rows);
        const table = readCsv(text, { delimiter: ',' });
        expect(table.errors).toEqual([]);
        expect(table.header).toEqual(['a', 'b']);
        let line = 2;
        const expected = body.map(([x, y]) => {
          const record = { line, cells: [/^[=+\-@\t\r]/.test(x!) ? `'${x}` : x!, `k${y}`] };
          line += (writeCsv([[x!, `k${y}`]]).match(/\n/g) ?? []).length;
          return record;
        });
        expect(table.rows).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text, and each refusal names a line of the file with a reason', () => {
    const wavey = fc.array(
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(
          '"',
          '""',
          ',',
          ';',
          '\n',
          '\r\n',
          '\uFEFF',
          'r1,2026-09-31,3',
          'nps,date',
          'x,"open',
        ),
      ),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(wavey, (parts) => {
        const text = `id,Submitted At,nps,comment\n${parts.join('')}`;
        const lines = text.split('\n').length;
        const result = parseFeedbackCsv(text);
        for (const i of result.issues) {
          expect(i.line).toBeGreaterThanOrEqual(1);
          expect(i.line).toBeLessThanOrEqual(lines);
          expect(i.error.length).toBeGreaterThan(10);
        }
        for (const r of result.rows) expect(r.line).toBeLessThanOrEqual(lines);
      }),
      { numRuns: 1000 },
    );
  });
});

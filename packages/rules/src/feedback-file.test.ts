import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFeedbackFile } from '@closedloop/rules';
import { expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'feedback-file-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

it('reads the CSV that import accepts: a byte order mark, ";" and a quoted multi-line comment', () => {
  const file = write(
    'excel.csv',
    '\uFEFFid;receivedAt;nps;comment;customer.email;customer.segment\r\n' +
      'f1;2026-03-02T10:00:00Z;3;"caro; muy caro\r\ny lento";ana@example.es;es\r\n' +
      'f2;2026-03-03T10:00:00Z;9;;luis@example.es;es\r\n',
  );
  const feedback = readFeedbackFile(file);
  expect(feedback.map((f) => [f.id, f.nps, f.comment, f.customer.segment])).toEqual([
    ['f1', 3, 'caro; muy caro\r\ny lento', 'es'],
    ['f2', 9, undefined, 'es'],
  ]);
});

it('names the line of the file for a bad row', () => {
  const file = write('bad.csv', 'id,nps,customer.email\n\nf1,"3\nx",a@example.com\nf2,12,b@example.com\n');
  expect(() => readFeedbackFile(file)).toThrow(/bad\.csv: line 3: nps: /);
});

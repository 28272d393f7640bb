import { escapeHtml, readCsv, writeCsv } from '@closedloop/core';
import { describe, expect, test } from 'vitest';

describe('writeCsv', () => {
  test.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tlooks empty', "'\tlooks empty"],
    ['\r=1', `"'\r=1"`],
  ])('a spreadsheet shows the text %j instead of running it as a formula', (text, cell) => {
    expect(writeCsv([[text]])).toBe(`${cell}\r\n`);
  });

  test('numbers, booleans and ordinary text are written as they are; absent values are empty', () => {
    expect(writeCsv([[-5, 8.5, true, 'a=b', 'x-y', null, undefined, Number.NaN]])).toBe(
      '-5,8.5,true,a=b,x-y,,,\r\n',
    );
  });

  test('cells with a delimiter, a quote, a line break or outer spaces are quoted, and read back the same', () => {
    const cells = ['a,b', 'say "hi"', 'two\nlines', 'old\rmac', ' padded ', 'plain'];
    const text = writeCsv([cells.map((_, i) => `c${i}`), cells]);
    expect(text.slice(text.indexOf('\r\n') + 2)).toBe(
      '"a,b","say ""hi""","two\nlines","old\rmac"," padded ",plain\r\n',
    );
    expect(readCsv(text).rows.map((r) => r.cells)).toEqual([cells]);
  });

  test('starts with a byte order mark only when asked', () => {
    expect(writeCsv([['é']], { bom: true })).toBe('\uFEFFé\r\n');
    expect(writeCsv([['é']])).toBe('é\r\n');
  });
});

describe('escapeHtml', () => {
  test('escapes the five characters that end text or an attribute value, and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a> café`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt; café',
    );
  });

  test('writes numbers as text and absent values as nothing', () => {
    expect([escapeHtml(42), escapeHtml(null), escapeHtml(undefined)]).toEqual(['42', '', '']);
  });
});

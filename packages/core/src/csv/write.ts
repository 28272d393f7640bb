import { stringify } from 'csv-stringify/sync';

/** A value for a CSV cell: numbers stay numbers, absent values are empty. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * The one formula-injection rule: text starting with `=`, `+`, `-`, `@`, tab or carriage return
 * gets a leading `'`, so a spreadsheet shows it instead of running it. Numbers are never changed.
 */
function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  return neutraliseFormula(value);
}

export interface WriteCsvOptions {
  /** Start with a UTF-8 byte order mark (so spreadsheet apps read accents right). Default false. */
  bom?: boolean;
}

/**
 * Writes rows as RFC 4180 CSV with CRLF line ends: cells quoted when they hold a delimiter, a
 * quote, a line break or outer spaces; text neutralised by {@link neutraliseFormula}.
 *
 * @example
 * writeCsv([['id', 'nps'], ['c1', -5], ['c2', '=HYPERLINK("x")']]);
 * // 'id,nps\r\nc1,-5\r\nc2,"\'=HYPERLINK(""x"")"\r\n'
 */
export function writeCsv(rows: readonly (readonly CsvValue[])[], options: WriteCsvOptions = {}): string {
  const text = stringify(
    rows.map((r) => r.map(cell)),
    // A lone CR or LF is quoted too: csv-stringify by itself quotes only the record delimiter (CRLF).
    { record_delimiter: 'windows', quoted_match: [/^\s|\s$/, /[\r\n]/] },
  );
  return options.bom ? `\uFEFF${text}` : text;
}

import { parse } from 'csv-parse/sync';

/** One record of a CSV file with the line of the file it starts on (1-based). */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** A line of a CSV file that could not be read, and why. */
export interface CsvLineError {
  line: number;
  error: string;
}

/** A CSV file read into its header and records; unreadable records are listed, never dropped. */
export interface CsvTable {
  header: string[];
  rows: CsvRow[];
  errors: CsvLineError[];
  delimiter: string;
}

export interface ReadCsvOptions {
  /** The field delimiter; default: whichever of `,`, `;` and tab the header line uses most. */
  delimiter?: string;
}

const CANDIDATES = [',', ';', '\t'];
const MAX_ERRORS = 1000;
const STOP = Symbol('stop');

/** Byte offset of the first byte of `line` (1-based) in `buf`. */
function offsetOfLine(buf: Buffer, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = buf.indexOf(10, offset);
    if (next < 0) return buf.length;
    offset = next + 1;
  }
  return offset;
}

/** The delimiter the first line uses most, counting only outside quotes. */
function sniffDelimiter(text: string): string {
  const counts = new Map(CANDIDATES.map((d) => [d, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  return CANDIDATES.reduce((best, d) => (counts.get(d)! > counts.get(best)! ? d : best), ',');
}

interface Chunk {
  records: { line: number; cells: string[] }[];
  /** Set when a record could not be read: its first line and why. */
  failure?: CsvLineError;
}

/**
 * Parses `buf` from byte `from` (the start of line `firstLine` of the file) until the first
 * unreadable record. A record's line is counted from the byte where the one before it ended
 * (csv-parse's own line count also counts the `\r` of a CRLF inside a quoted field).
 */
function parseChunk(buf: Buffer, from: number, firstLine: number, delimiter: string): Chunk {
  const records: Chunk['records'] = [];
  let failure: CsvLineError | undefined;
  let counted = from;
  let line = firstLine;
  /** The line of the file at byte `at` (at ≥ every earlier call's `at`). */
  const lineAt = (at: number) => {
    for (let i = buf.indexOf(10, counted); i >= 0 && i < at; i = buf.indexOf(10, i + 1)) line++;
    counted = Math.max(counted, at);
    return line;
  };
  let end = from;
  try {
    parse(buf.subarray(from), {
      delimiter,
      info: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        const why = (err?.message ?? 'unreadable').replace(/ (at|on) line \d+/, '').replace(/\s+/g, ' ');
        failure = { line: lineAt(end), error: `not readable as CSV: ${why}` };
        throw STOP;
      },
      // With `info`, each record arrives as { record, info } (the types do not say so).
      on_record: ((r: { record: string[]; info: { bytes: number } }) => {
        records.push({ line: lineAt(end), cells: r.record });
        end = from + r.info.bytes;
        return null;
      }) as never,
    });
  } catch (e) {
    if (e !== STOP) {
      failure = {
        line: lineAt(end),
        error: `not readable as CSV: ${(e as Error).message.replace(/ (at|on) line \d+/, '')}`,
      };
    }
  }
  return failure ? { records, failure } : { records };
}

/**
 * Reads CSV as survey tools and spreadsheets write it: a UTF-8 byte order mark, `,` `;` or tab
 * as delimiter (detected from the header line), quoted fields holding delimiters, quotes and line
 * breaks, CRLF or LF. Each record keeps the line of the file it starts on, counting blank lines
 * and the lines inside quoted fields; a record that cannot be read is listed with its line and
 * reading goes on at the next line. Blank records (no cell with text) are skipped.
 *
 * @example
 * const { header, rows, errors } = readCsv('\uFEFFid;comment\n1;"caro;\nmuy caro"\n');
 * // header ['id', 'comment'], rows [{ line: 2, cells: ['1', 'caro;\nmuy caro'] }]
 */
export function readCsv(input: string, options: ReadCsvOptions = {}): CsvTable {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const delimiter = options.delimiter ?? sniffDelimiter(text);
  const rows: CsvRow[] = [];
  const errors: CsvLineError[] = [];
  const buf = Buffer.from(text, 'utf8');
  let from = 0;
  let firstLine = 1;
  for (let guard = 0; guard <= MAX_ERRORS && from < buf.length; guard++) {
    const chunk = parseChunk(buf, from, firstLine, delimiter);
    for (const r of chunk.records) if (r.cells.some((c) => c.trim() !== '')) rows.push(r);
    if (!chunk.failure) break;
    errors.push(chunk.failure);
    if (errors.length >= MAX_ERRORS) {
      errors.push({ line: chunk.failure.line, error: `more than ${MAX_ERRORS} unreadable records: stopped` });
      break;
    }
    // Go on at the line after the one the bad record starts on.
    firstLine = chunk.failure.line + 1;
    from = offsetOfLine(buf, firstLine);
  }
  const head = rows.shift();
  return {
    header: (head?.cells ?? []).map((h) => h.trim()),
    rows,
    errors,
    delimiter,
  };
}

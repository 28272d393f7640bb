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

/** Number of line breaks at the start of a raw record (the blank lines before it). */
function leadingBreaks(raw: string): number {
  let n = 0;
  for (const ch of raw) {
    if (ch === '\n') n++;
    else if (ch !== '\r') break;
  }
  return n;
}

/** Offset of the first character of `line` (1-based) in `text`. */
function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

interface Chunk {
  records: { line: number; cells: string[] }[];
  /** Set when a record could not be read: its first line and why. */
  failure?: CsvLineError;
  /** Line the chunk ended on. */
  end: number;
}

/** Parses `text` (whose first line is `firstLine` of the file) until the first unreadable record. */
function parseChunk(text: string, firstLine: number, delimiter: string): Chunk {
  const records: Chunk['records'] = [];
  let lastEnd = firstLine - 1;
  let failure: CsvLineError | undefined;
  try {
    parse(text, {
      delimiter,
      info: true,
      raw: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (err, raw) => {
        const start = lastEnd + 1 + leadingBreaks(raw ?? '');
        const why = (err?.message ?? 'unreadable').replace(/ at line \d+/, '').replace(/\s+/g, ' ');
        failure = { line: start, error: `not readable as CSV: ${why}` };
        throw STOP;
      },
      // With `info` and `raw`, each record arrives as { record, info, raw } (the types do not say so).
      on_record: ((r: { record: string[]; info: { lines: number }; raw: string }) => {
        const start = lastEnd + 1 + leadingBreaks(r.raw);
        lastEnd = firstLine - 1 + r.info.lines;
        records.push({ line: start, cells: r.record });
        return null;
      }) as never,
    });
  } catch (e) {
    if (e !== STOP) {
      const err = e as Error & { lines?: number };
      failure = {
        line: firstLine - 1 + (err.lines ?? 1),
        error: `not readable as CSV: ${err.message.replace(/ at line \d+/, '')}`,
      };
    }
  }
  return failure ? { records, failure, end: lastEnd } : { records, end: lastEnd };
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
  let firstLine = 1;
  let rest = text;
  for (let guard = 0; guard <= MAX_ERRORS; guard++) {
    const chunk = parseChunk(rest, firstLine, delimiter);
    for (const r of chunk.records) if (r.cells.some((c) => c.trim() !== '')) rows.push(r);
    if (!chunk.failure) break;
    errors.push(chunk.failure);
    if (errors.length >= MAX_ERRORS) {
      errors.push({ line: chunk.failure.line, error: `more than ${MAX_ERRORS} unreadable records: stopped` });
      break;
    }
    // Go on with the line after the one the bad record starts on.
    const next = chunk.failure.line + 1;
    rest = rest.slice(offsetOfLine(rest, next - firstLine + 1));
    firstLine = next;
    if (rest === '') break;
  }
  const head = rows.shift();
  return {
    header: (head?.cells ?? []).map((h) => h.trim()),
    rows,
    errors,
    delimiter,
  };
}

import { createHash } from 'node:crypto';
import { type FeedbackInput, FeedbackInputSchema, readCsv } from '@closedloop/core';
import { isRecord } from './adapter.ts';
import { type Column, type ImportMapping, recognise } from './import-columns.ts';
import { type DateOptions, readDate, readScore } from './import-values.ts';
import { mapResponse, type RawAnswer } from './mapping.ts';

export interface ImportOptions extends DateOptions {
  /** `source.tool` of every row (default `csv` / `json`), e.g. `qualtrics-export`. */
  tool?: string;
  /** Prefix of response ids, e.g. the wave: `2026-Q1`. */
  wave?: string;
  /** Column names for some fields; the other fields are still recognised by their headers. */
  mapping?: ImportMapping;
  /** CSV delimiter (default: detected among `,`, `;` and tab). */
  delimiter?: string;
  /**
   * The configured segments. A row's segment must be one of them (by id, or by name without
   * regard to case); an unknown one refuses the row, unless `defaultSegment` is set.
   */
  segments?: readonly { id: string; name: string }[];
  /** Where rows with an unknown segment go (each with a warning) instead of being refused. */
  defaultSegment?: string;
}

export interface ImportIssue {
  /** CSV: the line of the file the row starts on. JSON: the item's position, from 1. */
  line: number;
  error: string;
}

export interface ImportRow {
  line: number;
  feedback: FeedbackInput;
}

/** Rows that parsed, and each row that did not with why; a bad row never stops the wave. */
export interface ImportResult {
  rows: ImportRow[];
  /** The same feedback as `rows`, without line numbers. */
  feedback: FeedbackInput[];
  /** Rows refused, each with its line and the reason. */
  issues: ImportIssue[];
  /** Rows imported with a change worth knowing (e.g. an unknown segment sent to the default). */
  warnings: ImportIssue[];
  /** What `line` counts: lines of a CSV file, items of a JSON array. */
  unit: 'line' | 'item';
}

type Cell = { column: Column; value: string };

type RowResult = { ok: true; feedback: FeedbackInput; warning?: string } | { ok: false; error: string };

function segmentOf(value: string, options: ImportOptions): { id?: string; warning?: string; error?: string } {
  if (!options.segments) return { id: value };
  const v = value.trim().toLowerCase();
  const hit = options.segments.find((s) => s.id.toLowerCase() === v || s.name.toLowerCase() === v);
  if (hit) return { id: hit.id };
  if (options.defaultSegment)
    return {
      id: options.defaultSegment,
      warning: `segment "${value}" is not configured: imported into "${options.defaultSegment}" (the default segment)`,
    };
  return {
    error: `segment "${value}" is not a configured segment (known: ${options.segments
      .map((s) => s.id)
      .join(', ')}): fix the file, add the segment, or set import.defaultSegment`,
  };
}

function rowToFeedback(cells: Cell[], tool: string, options: ImportOptions): RowResult {
  const answers: RawAnswer[] = [];
  const hidden: Record<string, string> = {};
  const known: Record<string, string | number | undefined> = {};
  let responseId: string | undefined;
  let submittedAt: string | undefined;
  let first: string | undefined;
  let last: string | undefined;
  let warning: string | undefined;
  for (const { column, value } of cells) {
    const v = value.trim();
    const title = column.title;
    switch (column.role) {
      case 'submittedAt': {
        if (v === '') return { ok: false, error: `"${title}" is empty: give the date the answer was given` };
        const d = readDate(v, options);
        if (!d.ok) return { ok: false, error: `"${title}": ${d.error}` };
        submittedAt = d.value;
        break;
      }
      case 'nps':
      case 'csat': {
        if (v === '') break;
        const s = column.role === 'nps' ? readScore(v, 0, 10) : readScore(v, 1, 5);
        if (!s.ok) return { ok: false, error: `"${title}" (${column.role.toUpperCase()}): ${s.error}` };
        known[column.role] = s.value;
        break;
      }
      case 'responseId':
        if (v !== '') responseId = v;
        break;
      case 'segment': {
        if (v === '') break;
        const s = segmentOf(v, options);
        if (s.error) return { ok: false, error: s.error };
        known.segment = s.id;
        warning = s.warning;
        break;
      }
      case 'firstName':
        first = v || undefined;
        break;
      case 'lastName':
        last = v || undefined;
        break;
      case 'comment':
      case 'email':
      case 'name':
      case 'customerId':
      case 'language':
        if (v !== '') known[column.role] = v;
        break;
      case 'touchpoint':
      case 'attribute':
        if (v !== '') hidden[column.role === 'touchpoint' ? 'touchpoint' : title] = v;
        break;
      case 'meta':
        break;
      case 'answer':
        if (v === '') break;
        answers.push({
          keys: [title],
          title,
          // Text columns are answers, never taken for the comment unless recognised as one.
          kind: /^-?\d+(\.\d+)?$/.test(v) ? 'number' : 'other',
          value: /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
        });
        break;
    }
  }
  if (known.name === undefined && (first || last)) known.name = [first, last].filter(Boolean).join(' ');
  if (known.segment === undefined && options.segments && options.defaultSegment) {
    known.segment = options.defaultSegment;
  }
  // No id column: the row's content is its identity, so importing the same file twice is idempotent.
  const id =
    responseId ??
    createHash('sha256')
      .update(JSON.stringify(cells.map((c) => [c.column.title, c.value.trim()])))
      .digest('hex')
      .slice(0, 24);
  const m = mapResponse(
    tool,
    {
      responseId: options.wave ? `${options.wave}:${id}` : id,
      submittedAt,
      answers,
      hidden,
      known: known as NonNullable<Parameters<typeof mapResponse>[1]['known']>,
    },
    { attributes: Object.keys(hidden).filter((k) => k !== 'touchpoint') },
  );
  if (!m.success) return { ok: false, error: m.error };
  return warning ? { ok: true, feedback: m.data, warning } : { ok: true, feedback: m.data };
}

const IMPORT_ID = /^\{\s*"ImportId"/;

/**
 * Rows under the header that are more header: Qualtrics' question-text and ImportId rows,
 * SurveyMonkey's "Response" / "Open-Ended Response" row. Their text names the questions.
 */
function extraHeaderRows(header: string[], rows: { cells: string[] }[]) {
  const questions: (string | undefined)[] = header.map(() => undefined);
  const openEnded = new Set<number>();
  let skip = 0;
  for (const row of rows.slice(0, 2)) {
    const cells = row.cells.map((c) => c.trim());
    const nonEmpty = cells.filter((c) => c !== '');
    if (nonEmpty.length > 0 && nonEmpty.every((c) => IMPORT_ID.test(c))) {
      skip++;
      continue;
    }
    // Qualtrics: the second row repeats the header's display names ("Response ID" under ResponseId).
    const idCol = header.findIndex((h) => /^response_?id$/i.test(h));
    if (idCol >= 0 && /^response id$/i.test(cells[idCol] ?? '')) {
      cells.forEach((c, i) => {
        if (c && c !== header[i]) questions[i] = c;
      });
      skip++;
      continue;
    }
    // SurveyMonkey: sub-headers under the questions; the respondent id cell is empty.
    if (
      nonEmpty.length > 0 &&
      nonEmpty.every(
        (c) =>
          /^(response|open-ended response|other \(please specify\))$/i.test(c) ||
          (header.includes(c) === false && c.length < 40 && /response|other/i.test(c)),
      )
    ) {
      cells.forEach((c, i) => {
        if (/^open-ended response$/i.test(c)) openEnded.add(i);
      });
      skip++;
      continue;
    }
    break;
  }
  return { questions, openEnded, skip };
}

/**
 * Reads a survey wave exported as CSV (R1: quarterly/half-yearly imports), one response per row.
 * Columns are recognised by the headers the survey tools export (`Response ID`, `Submitted At`,
 * `NPS Score`, `How likely are you to recommend us?`, Typeform's `#` and `Submit Date (UTC)`,
 * SurveyMonkey's `Respondent ID`, Qualtrics' `ResponseId` with its extra header rows, Google
 * Forms' `Timestamp`…) or named in `mapping`; other columns become answers. A row whose score or
 * date cannot be read is refused with the line of the file it starts on.
 *
 * @example
 * const { rows, issues } = parseFeedbackCsv(await readFile('wave.csv', 'utf8'), { wave: '2026-Q1' });
 * for (const { feedback } of rows) await loop.capture(feedback, { onDuplicate: 'update' });
 */
export function parseFeedbackCsv(text: string, options: ImportOptions = {}): ImportResult {
  const tool = options.tool ?? 'csv';
  const table = readCsv(text, options.delimiter ? { delimiter: options.delimiter } : {});
  const out: ImportResult = { rows: [], feedback: [], issues: [...table.errors], warnings: [], unit: 'line' };
  if (table.header.length === 0) {
    if (out.issues.length === 0)
      out.issues.push({ line: 1, error: 'the file is empty: expected a header row' });
    return out;
  }
  const { questions, openEnded, skip } = extraHeaderRows(table.header, table.rows);
  const columns = recognise(table.header, questions, options.mapping, openEnded);
  for (const row of table.rows.slice(skip)) {
    const extra = row.cells.slice(columns.length).filter((c) => c.trim() !== '');
    if (extra.length) {
      out.issues.push({
        line: row.line,
        error: `${row.cells.length} cells but the header has ${columns.length} columns: quote cells that hold the delimiter "${table.delimiter}"`,
      });
      continue;
    }
    const cells = columns.map((column) => ({ column, value: row.cells[column.index] ?? '' }));
    const res = rowToFeedback(cells, tool, options);
    if (!res.ok) out.issues.push({ line: row.line, error: res.error });
    else {
      out.rows.push({ line: row.line, feedback: res.feedback });
      if (res.warning) out.warnings.push({ line: row.line, error: res.warning });
    }
  }
  out.issues.sort((a, b) => a.line - b.line);
  out.feedback = out.rows.map((r) => r.feedback);
  return out;
}

/**
 * Reads a wave as JSON: an array (or `{ "feedback": [...] }`) of `FeedbackInput` objects (checked
 * as they are) or of flat records like CSV rows (recognised the same way). Issues name the item
 * by its position from 1.
 *
 * @example
 * const { rows, issues } = parseFeedbackJson(await readFile('wave.json', 'utf8'));
 */
export function parseFeedbackJson(text: string, options: ImportOptions = {}): ImportResult {
  const tool = options.tool ?? 'json';
  const out: ImportResult = { rows: [], feedback: [], issues: [], warnings: [], unit: 'item' };
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    out.issues.push({ line: 0, error: `not JSON: ${(err as Error).message}` });
    return out;
  }
  const items = Array.isArray(value)
    ? value
    : isRecord(value) && Array.isArray(value.feedback)
      ? value.feedback
      : undefined;
  if (!items) {
    out.issues.push({ line: 0, error: 'expected an array of feedback (or { "feedback": [...] })' });
    return out;
  }
  items.forEach((r: unknown, i: number) => {
    const line = i + 1;
    if (!isRecord(r)) {
      out.issues.push({ line, error: 'not an object' });
      return;
    }
    if (isRecord(r.source) && isRecord(r.customer)) {
      const p = FeedbackInputSchema.safeParse(r);
      if (!p.success) {
        const issue = p.error.issues[0];
        out.issues.push({ line, error: `${issue?.path.join('.') || '(root)'}: ${issue?.message}` });
        return;
      }
      const seg = typeof r.customer.segment === 'string' ? segmentOf(r.customer.segment, options) : {};
      if (seg.error) {
        out.issues.push({ line, error: seg.error });
        return;
      }
      const feedback = (
        seg.id && seg.id !== r.customer.segment ? { ...r, customer: { ...r.customer, segment: seg.id } } : r
      ) as FeedbackInput;
      out.rows.push({ line, feedback });
      if (seg.warning) out.warnings.push({ line, error: seg.warning });
      return;
    }
    const keys = Object.keys(r);
    const columns = recognise(keys, [], options.mapping);
    const cells = columns.map((column) => {
      const v = r[keys[column.index]!];
      return {
        column,
        value: v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v),
      };
    });
    const res = rowToFeedback(cells, tool, options);
    if (!res.ok) out.issues.push({ line, error: res.error });
    else {
      out.rows.push({ line, feedback: res.feedback });
      if (res.warning) out.warnings.push({ line, error: res.warning });
    }
  });
  out.feedback = out.rows.map((r) => r.feedback);
  return out;
}

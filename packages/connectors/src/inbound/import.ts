import { createHash } from 'node:crypto';
import { type FeedbackInput, FeedbackInputSchema } from '@closedloop/core';
import { parse } from 'csv-parse/sync';
import { isRecord } from './adapter.ts';
import { type FieldMapping, mapResponse, type RawAnswer } from './mapping.ts';

export interface ImportOptions {
  /** `source.tool` of every row (default `csv` / `json`), e.g. `qualtrics-export`. */
  tool?: string;
  /** Prefix of generated response ids, e.g. the wave: `2026-Q1`. */
  wave?: string;
  /** Column names per field; defaults below. */
  mapping?: FieldMapping;
  /** CSV delimiter (default: detected among `,`, `;` and tab). */
  delimiter?: string;
}

export interface ImportIssue {
  /** 1-based line (CSV) or index + 1 (JSON). */
  row: number;
  error: string;
}

/** Rows that parsed, and each row that did not with why; a bad row never stops the wave. */
export interface ImportResult {
  feedback: FeedbackInput[];
  issues: ImportIssue[];
}

const DEFAULTS: Required<Pick<FieldMapping, 'nps' | 'csat' | 'comment'>> & { id: string[] } = {
  id: ['response_id', 'responseid', 'id'],
  nps: ['nps', 'nps_score', 'score', 'likelihood_to_recommend'],
  csat: ['csat', 'csat_score', 'satisfaction'],
  comment: ['comment', 'comments', 'feedback', 'verbatim', 'why', 'reason'],
};
const IDENTITY =
  /^(e-?mail|email_address|name|full_?name|customer_?name|customer_?id|user_?id|external_?id|segment|lang(uage)?|locale|touchpoint)$/i;
const RECEIVED = /^(received_?at|submitted_?at|date|created_?at|timestamp)$/i;

function rowToFeedback(
  row: Record<string, unknown>,
  tool: string,
  options: ImportOptions,
): { ok: true; value: FeedbackInput } | { ok: false; error: string } {
  const mapping: FieldMapping = {
    nps: DEFAULTS.nps,
    csat: DEFAULTS.csat,
    comment: DEFAULTS.comment,
    ...options.mapping,
  };
  const answers: RawAnswer[] = [];
  const hidden: Record<string, string> = {};
  let responseId: string | undefined;
  let submittedAt: string | undefined;
  for (const [col, v] of Object.entries(row)) {
    if (v === null || v === undefined || v === '') continue;
    const value = typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
    const key = col.trim();
    if (DEFAULTS.id.includes(key.toLowerCase())) responseId = String(value);
    else if (RECEIVED.test(key)) submittedAt = String(value);
    else if (IDENTITY.test(key)) hidden[key] = String(value);
    else {
      const numeric = typeof value === 'number' || /^\s*-?\d+(\.\d+)?\s*$/.test(String(value));
      answers.push({
        keys: [key],
        title: key,
        kind: numeric ? 'number' : 'text',
        value: numeric ? Number(value) : value,
      });
    }
  }
  // No id column: the row's content is its identity, so importing the same wave twice is idempotent.
  const id =
    responseId ??
    createHash('sha256')
      .update(JSON.stringify(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))))
      .digest('hex')
      .slice(0, 24);
  const m = mapResponse(
    tool,
    { responseId: options.wave ? `${options.wave}:${id}` : id, submittedAt, answers, hidden },
    mapping,
  );
  if (!m.success) return { ok: false, error: m.error };
  return { ok: true, value: m.data };
}

/**
 * Reads a survey wave exported as CSV (R1: quarterly/half-yearly imports). One row per response;
 * columns `response_id`, `email`, `name`, `customer_id`, `segment`, `language`, `nps`, `csat`,
 * `comment`, `received_at` are recognised (or mapped with `mapping`); other columns become answers.
 *
 * @example
 * const { feedback, issues } = parseFeedbackCsv(await readFile('wave.csv', 'utf8'), { wave: '2026-Q1' });
 * for (const f of feedback) await loop.capture(f);
 */
export function parseFeedbackCsv(text: string, options: ImportOptions = {}): ImportResult {
  const tool = options.tool ?? 'csv';
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter =
    options.delimiter ??
    [',', ';', '\t'].reduce(
      (best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best),
      ',',
    );
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      delimiter,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  } catch (err) {
    return { feedback: [], issues: [{ row: 0, error: `not readable as CSV: ${(err as Error).message}` }] };
  }
  const out: ImportResult = { feedback: [], issues: [] };
  records.forEach((r, i) => {
    const res = rowToFeedback(r, tool, options);
    if (res.ok) out.feedback.push(res.value);
    else out.issues.push({ row: i + 2, error: res.error });
  });
  return out;
}

/**
 * Reads a wave as JSON: an array of `FeedbackInput` objects (checked as they are) or of flat
 * records like CSV rows (mapped the same way).
 *
 * @example
 * const { feedback, issues } = parseFeedbackJson(await readFile('wave.json', 'utf8'));
 */
export function parseFeedbackJson(text: string, options: ImportOptions = {}): ImportResult {
  const tool = options.tool ?? 'json';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { feedback: [], issues: [{ row: 0, error: `not JSON: ${(err as Error).message}` }] };
  }
  const rows = Array.isArray(value)
    ? value
    : isRecord(value) && Array.isArray(value.feedback)
      ? value.feedback
      : undefined;
  if (!rows)
    return {
      feedback: [],
      issues: [{ row: 0, error: 'expected an array of feedback (or { "feedback": [...] })' }],
    };
  const out: ImportResult = { feedback: [], issues: [] };
  rows.forEach((r: unknown, i: number) => {
    if (isRecord(r) && isRecord(r.source) && isRecord(r.customer)) {
      const p = FeedbackInputSchema.safeParse(r);
      if (p.success) out.feedback.push(r as FeedbackInput);
      else {
        const issue = p.error.issues[0];
        out.issues.push({ row: i + 1, error: `${issue?.path.join('.') || '(root)'}: ${issue?.message}` });
      }
      return;
    }
    if (!isRecord(r)) {
      out.issues.push({ row: i + 1, error: 'not an object' });
      return;
    }
    const res = rowToFeedback(r, tool, options);
    if (res.ok) out.feedback.push(res.value);
    else out.issues.push({ row: i + 1, error: res.error });
  });
  return out;
}

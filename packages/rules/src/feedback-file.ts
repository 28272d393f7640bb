import { readFileSync } from 'node:fs';
import type { Feedback } from '@closedloop/core';
import { FeedbackSchema } from '@closedloop/core';
import { RulesError } from './errors.ts';

/**
 * Reads stored feedback for a backtest from a JSON file (an array of feedback) or a CSV file with a
 * header row. CSV columns: id, receivedAt, nps, csat, comment, language, touchpoint, customer.email,
 * customer.id, customer.segment, customer.value, customer.anonymous, source.tool, source.responseId.
 *
 * @example
 * const feedbacks = readFeedbackFile('exports/2026-q3.csv');
 */
export function readFeedbackFile(path: string): Feedback[] {
  const text = readFileSync(path, 'utf8');
  const rows: unknown[] = path.toLowerCase().endsWith('.csv')
    ? csvRecords(text)
    : (JSON.parse(text) as unknown[]);
  if (!Array.isArray(rows))
    throw new RulesError('INVALID_INPUT', `${path}: expected a JSON array of feedback`);
  return rows.map((row, i) => {
    const r = row as Record<string, unknown>;
    const withDefaults = {
      id: `row-${i + 1}`,
      source: { tool: 'file', responseId: `row-${i + 1}` },
      ...r,
    };
    const parsed = FeedbackSchema.safeParse(withDefaults);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RulesError(
        'INVALID_INPUT',
        `${path}: feedback ${i + 1}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    return parsed.data;
  });
}

const NUMBERS = new Set(['nps', 'csat', 'customer.value']);

function csvRecords(text: string): Record<string, unknown>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows
    .filter((r) => r.some((c) => c !== ''))
    .map((cells) => {
      const out: Record<string, unknown> = {};
      header.forEach((name, i) => {
        const raw = cells[i] ?? '';
        if (raw === '') return;
        const value = NUMBERS.has(name) ? Number(raw) : name === 'customer.anonymous' ? raw === 'true' : raw;
        const [a, b] = name.split('.') as [string, string | undefined];
        if (b === undefined) out[a] = value;
        else out[a] = { ...((out[a] as object | undefined) ?? {}), [b]: value };
      });
      return out;
    });
}

/**
 * Parses RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF.
 *
 * @example
 * parseCsv('id,comment\n1,"caro, muy caro"\n'); // [['id', 'comment'], ['1', 'caro, muy caro']]
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

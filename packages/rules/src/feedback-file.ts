import { readFileSync } from 'node:fs';
import type { Feedback } from '@closedloop/core';
import { FeedbackSchema, readCsv } from '@closedloop/core';
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
  const csv = path.toLowerCase().endsWith('.csv');
  const rows: { where: string; value: unknown }[] = csv
    ? csvRecords(text, path)
    : jsonItems(JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text), path);
  return rows.map(({ where, value }, i) => {
    const withDefaults = {
      id: `row-${i + 1}`,
      source: { tool: 'file', responseId: `row-${i + 1}` },
      ...(value as Record<string, unknown>),
    };
    const parsed = FeedbackSchema.safeParse(withDefaults);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RulesError(
        'INVALID_INPUT',
        `${path}: ${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    return parsed.data;
  });
}

function jsonItems(value: unknown, path: string): { where: string; value: unknown }[] {
  if (!Array.isArray(value))
    throw new RulesError('INVALID_INPUT', `${path}: expected a JSON array of feedback`);
  return value.map((v, i) => ({ where: `feedback ${i + 1}`, value: v }));
}

const NUMBERS = new Set(['nps', 'csat', 'customer.value']);

/** A stored-feedback export as CSV, read with the project's one CSV reader (BOM, `;`, quoted lines). */
function csvRecords(text: string, path: string): { where: string; value: unknown }[] {
  const { header, rows, errors } = readCsv(text);
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new RulesError('INVALID_INPUT', `${path}: line ${e.line}: ${e.error}`);
  }
  return rows.map(({ line, cells }) => {
    const out: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const raw = cells[i] ?? '';
      if (raw === '') return;
      const value = NUMBERS.has(name) ? Number(raw) : name === 'customer.anonymous' ? raw === 'true' : raw;
      const [a, b] = name.split('.') as [string, string | undefined];
      if (b === undefined) out[a] = value;
      else out[a] = { ...((out[a] as object | undefined) ?? {}), [b]: value };
    });
    return { where: `line ${line}`, value: out };
  });
}

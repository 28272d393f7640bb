import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CONFIG_HELP, ConfigError, loadConfig } from '@closedloop/config';
import {
  type ImportMapping,
  ImportMappingSchema,
  parseFeedbackCsv,
  parseFeedbackJson,
} from '@closedloop/connectors';
import {
  CASE_STATUSES,
  type CaseQuery,
  ClosedLoopError,
  formatPath,
  PRIORITIES,
  suggestKeys,
} from '@closedloop/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { progressBar } from '../progress.ts';
import { createRuntime } from '../serve/runtime.ts';

export interface DataIo {
  out: (text: string) => void;
  err: (text: string) => void;
  progress: boolean;
}
const processIo: DataIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY === true,
};

export interface ImportCliOptions {
  config?: string;
  format?: 'csv' | 'json';
  tool?: string;
  wave?: string;
  /** A JSON file of column names per field (overrides the config's `import.mapping` field by field). */
  mapping?: string;
  /** Rows with an unknown segment go here, with a warning (overrides `import.defaultSegment`). */
  defaultSegment?: string;
  /** Store for analytics only: open no case, send nothing. */
  learnOnly?: boolean;
  /** Slash dates are day/month/year. */
  dayFirst?: boolean;
}

export interface ImportSummary {
  rows: number;
  captured: number;
  /** Responses imported before whose answer changed (same response id): updated, no second case. */
  updated: number;
  duplicates: number;
  cases: number;
  /** What `line` counts: lines of a CSV file, items of a JSON array. */
  unit: 'line' | 'item';
  refused: { line: number; error: string }[];
  warnings: { line: number; error: string }[];
}

function readMapping(file: string): ImportMapping {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, [
      { path: '(file)', message: `not a readable JSON mapping: ${(e as Error).message}` },
    ]);
  }
  const parsed = ImportMappingSchema.safeParse(value, { error: (i) => suggestKeys(i as never) });
  if (!parsed.success)
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  return parsed.data;
}

/**
 * `closedloop import <file>`: a survey wave (R1) from CSV or JSON into the store the config
 * names, through the whole loop (rules, cases, emails), or for analytics only (`learnOnly`).
 * Importing the same file again adds nothing; a response re-exported with changes (same response
 * id) updates its feedback and case. Bad rows are listed by the file's line and never stop the wave.
 */
export async function importWave(
  file: string,
  opts: ImportCliOptions,
  io: DataIo = processIo,
): Promise<ImportSummary> {
  const config = loadConfig(opts.config);
  const format = opts.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  const text = readFileSync(file, 'utf8');
  const mapping = { ...config.import?.mapping, ...(opts.mapping ? readMapping(opts.mapping) : {}) };
  const defaultSegment = opts.defaultSegment ?? config.import?.defaultSegment;
  if (defaultSegment !== undefined && !config.segments.some((s) => s.id === defaultSegment))
    throw new ConfigError(config.file, [
      {
        path: '--default-segment',
        message: `"${defaultSegment}" is not a segment id; use one of ${config.segments.map((s) => s.id).join(', ')}`,
      },
    ]);
  const parsed = (format === 'json' ? parseFeedbackJson : parseFeedbackCsv)(text, {
    tool: opts.tool,
    wave: opts.wave,
    mapping,
    segments: config.segments,
    ...(defaultSegment !== undefined ? { defaultSegment } : {}),
    dayFirst: opts.dayFirst ?? config.import?.dayFirst ?? false,
  });
  const runtime = createRuntime(config, { logger: () => {} });
  const summary: ImportSummary = {
    rows: parsed.rows.length + parsed.issues.length,
    captured: 0,
    updated: 0,
    duplicates: 0,
    cases: 0,
    unit: parsed.unit,
    refused: [...parsed.issues],
    warnings: [...parsed.warnings],
  };
  const bar = progressBar(io.err, io.progress);
  try {
    let done = 0;
    for (const { line, feedback } of parsed.rows) {
      try {
        const r = await runtime.loop.capture(feedback, {
          onDuplicate: 'update',
          learnOnly: opts.learnOnly === true,
        });
        if (r.updated) summary.updated++;
        else if (r.duplicate) summary.duplicates++;
        else {
          summary.captured++;
          if (r.case) summary.cases++;
        }
      } catch (e) {
        summary.refused.push({
          line,
          error: e instanceof ClosedLoopError ? e.message.replaceAll('\n', ' ') : String(e),
        });
      }
      bar(++done, parsed.rows.length);
    }
    await runtime.loop.idle();
  } finally {
    await runtime.close();
  }
  summary.refused.sort((a, b) => a.line - b.line);
  return summary;
}

export interface ExportCliOptions {
  config?: string;
  format: 'csv' | 'json';
  status?: string[];
  priority?: string[];
  segment?: string[];
  owner?: string[];
  search?: string;
  out?: string;
}

/** `closedloop export`: the cases of the config's store as CSV or JSON (R14, R25). */
export async function exportCases(opts: ExportCliOptions, io: DataIo = processIo): Promise<number> {
  const config = loadConfig(opts.config);
  const runtime = createRuntime(config, { logger: () => {} });
  try {
    const query = {
      status: opts.status,
      priority: opts.priority,
      segment: opts.segment,
      owner: opts.owner,
      search: opts.search,
    } as CaseQuery;
    const text = await runtime.loop.cases.export(opts.format, query);
    if (opts.out) writeFileSync(opts.out, text);
    else io.out(text);
    return (await runtime.loop.cases.list({ ...query, limit: 0 })).total;
  } finally {
    await runtime.close();
  }
}

function oneOf(values: readonly string[], what: string) {
  return (value: string, previous: string[] = []) => {
    if (!values.includes(value))
      throw new InvalidArgumentError(`"${value}" is not a ${what}; use one of ${values.join(', ')}.`);
    return [...previous, value];
  };
}
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerDataCommands(program: Command, io: DataIo = processIo): void {
  program
    .command('import <file>')
    .description(
      'import a survey wave (CSV or JSON) into the loop: classify, open cases, notify (idempotent; a re-exported response updates its case)',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'json']),
    )
    .option('--tool <name>', 'source.tool of every row (e.g. qualtrics-export)')
    .option('--wave <name>', 'prefix for response ids (e.g. 2026-Q1)')
    .option(
      '--mapping <file>',
      'JSON file of column names per field, e.g. { "nps": ["Q7"], "submittedAt": ["Fecha"] }',
    )
    .option(
      '--default-segment <id>',
      'segment for rows whose segment is not configured (each gets a warning)',
    )
    .option('--learn-only', 'store the answers for analytics only: open no case, send nothing')
    .option('--day-first', 'read slash dates as day/month/year (31/01/2026)')
    .action(async (file: string, opts: ImportCliOptions) => {
      let s: ImportSummary;
      try {
        s = await importWave(file, opts, io);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        io.err(
          `${pc.red('error:')} ${e.file}\n${e.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`,
        );
        process.exitCode = 1;
        return;
      }
      io.out(
        `${s.rows} rows: ${pc.green(`${s.captured} captured`)} (${s.cases} cases opened${opts.learnOnly ? ', learn only' : ''}), ${s.updated} updated, ${s.duplicates} already imported, ${s.refused.length ? pc.red(`${s.refused.length} refused`) : '0 refused'}\n`,
      );
      for (const w of s.warnings.slice(0, 20))
        io.err(`  ${s.unit} ${w.line}: ${pc.yellow('warning:')} ${w.error}\n`);
      if (s.warnings.length > 20) io.err(`  … and ${s.warnings.length - 20} more warnings\n`);
      for (const r of s.refused.slice(0, 20)) io.err(`  ${s.unit} ${r.line}: ${r.error}\n`);
      if (s.refused.length > 20) io.err(`  … and ${s.refused.length - 20} more\n`);
      if (s.refused.length > 0) process.exitCode = 1;
    });
  program
    .command('export')
    .description('export cases (all by default) as CSV or JSON')
    .option('-c, --config <file>', CONFIG_HELP)
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--status <status>', 'only this status (repeatable)', oneOf(CASE_STATUSES, 'case status'))
    .option('--priority <priority>', 'only this priority (repeatable)', oneOf(PRIORITIES, 'priority'))
    .option('--segment <id>', 'only this segment (repeatable)', collect)
    .option('--owner <id>', 'only this owner (repeatable)', collect)
    .option('--search <text>', 'a case id or part of a customer email')
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action(async (opts: ExportCliOptions) => {
      const n = await exportCases(opts, io);
      if (opts.out) io.err(`${n} case(s) written to ${opts.out}\n`);
    });
}

import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseFeedbackCsv, parseFeedbackJson } from '@closedloop/connectors';
import { CASE_STATUSES, type CaseQuery, ClosedLoopError, PRIORITIES } from '@closedloop/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { loadConfig } from '../config/config.ts';
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
  config: string;
  format?: 'csv' | 'json';
  tool?: string;
  wave?: string;
}

export interface ImportSummary {
  rows: number;
  captured: number;
  duplicates: number;
  cases: number;
  refused: { line: number; error: string }[];
}

/**
 * `closedloop import <file>`: a survey wave (R1) from CSV or JSON into the store the config
 * names, through the whole loop (rules, cases, emails). Importing the same file again adds
 * nothing; bad rows are listed by line and never stop the wave.
 */
export async function importWave(
  file: string,
  opts: ImportCliOptions,
  io: DataIo = processIo,
): Promise<ImportSummary> {
  const config = loadConfig(opts.config);
  const format = opts.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  const text = readFileSync(file, 'utf8');
  const parsed = (format === 'json' ? parseFeedbackJson : parseFeedbackCsv)(text, {
    tool: opts.tool,
    wave: opts.wave,
  });
  const runtime = createRuntime(config, { logger: () => {} });
  const summary: ImportSummary = {
    rows: parsed.feedback.length + parsed.issues.length,
    captured: 0,
    duplicates: 0,
    cases: 0,
    refused: [...parsed.issues],
  };
  const bar = progressBar(io.err, io.progress);
  try {
    let done = 0;
    for (const [i, input] of parsed.feedback.entries()) {
      try {
        const r = await runtime.loop.capture(input);
        if (r.duplicate) summary.duplicates++;
        else {
          summary.captured++;
          if (r.case) summary.cases++;
        }
      } catch (e) {
        summary.refused.push({
          line: i + 1,
          error: e instanceof ClosedLoopError ? e.message.replaceAll('\n', ' ') : String(e),
        });
      }
      bar(++done, parsed.feedback.length);
    }
    await runtime.loop.idle();
  } finally {
    await runtime.close();
  }
  return summary;
}

export interface ExportCliOptions {
  config: string;
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
      'import a survey wave (CSV or JSON) into the loop: classify, open cases, notify (idempotent)',
    )
    .option('-c, --config <file>', 'closedloop config file', 'closedloop.config.json')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'json']),
    )
    .option('--tool <name>', 'source.tool of every row (e.g. qualtrics-export)')
    .option('--wave <name>', 'prefix for generated response ids (e.g. 2026-Q1)')
    .action(async (file: string, opts: ImportCliOptions) => {
      const s = await importWave(file, opts, io);
      io.out(
        `${s.rows} rows: ${pc.green(`${s.captured} captured`)} (${s.cases} cases opened), ${s.duplicates} already imported, ${s.refused.length ? pc.red(`${s.refused.length} refused`) : '0 refused'}\n`,
      );
      for (const r of s.refused.slice(0, 20)) io.err(`  line ${r.line}: ${r.error}\n`);
      if (s.refused.length > 20) io.err(`  … and ${s.refused.length - 20} more\n`);
      if (s.refused.length > 0) process.exitCode = 1;
    });
  program
    .command('export')
    .description('export cases (all by default) as CSV or JSON')
    .option('-c, --config <file>', 'closedloop config file', 'closedloop.config.json')
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

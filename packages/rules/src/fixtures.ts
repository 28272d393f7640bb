import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Segment } from '@closedloop/core';
import { FeedbackSchema, formatPath, SegmentTree } from '@closedloop/core';
import { createRulesDecider, type RulesDeciderOptions } from './decider.ts';
import { createRulesEngine } from './engine.ts';
import { RulesError } from './errors.ts';
import { show } from './operators.ts';
import type { Facts, RuleKind, RuleSet } from './types.ts';

/** One fixture case: facts for one rule file (`kind` + `facts` + `expect.events`), or feedback for the whole set. */
export interface FixtureCase {
  name: string;
  kind?: RuleKind;
  facts?: Facts;
  feedback?: Record<string, unknown>;
  /** Decision time, ISO 8601; default 2026-01-01T12:00:00Z. */
  now?: string;
  expect: {
    /** Events of `kind`'s rules, in order: each matches on the fields it names. */
    events?: Record<string, unknown>[];
    /** Rules that fired across the set, in order. */
    firedRules?: string[];
    /** A partial decision: every field named must match; `"case": null` means no case. */
    decision?: Record<string, unknown>;
  };
}

export interface FixtureFile {
  description?: string;
  /** The segment tree the decisions see; default a single "default" segment. */
  segments?: Segment[];
  cases: FixtureCase[];
}

export interface FixtureResult {
  file: string;
  name: string;
  ok: boolean;
  /** What differed, one line each. */
  failures: string[];
}

const DEFAULT_NOW = '2026-01-01T12:00:00Z';

/**
 * Runs the fixtures in `<dir>/fixtures/*.json` against the rule set of `<dir>`.
 *
 * @example
 * const results = runFixtures(loadRuleSet('rules'), 'rules');
 * const failed = results.filter((r) => !r.ok);
 */
export function runFixtures(
  ruleSet: RuleSet,
  dir: string,
  options: RulesDeciderOptions = {},
): FixtureResult[] {
  const fixtureDir = join(dir, 'fixtures');
  if (!existsSync(fixtureDir)) return [];
  const results: FixtureResult[] = [];
  for (const name of readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const file = join(fixtureDir, name);
    let fixture: FixtureFile;
    try {
      fixture = JSON.parse(readFileSync(file, 'utf8')) as FixtureFile;
    } catch (cause) {
      results.push({
        file,
        name: '(file)',
        ok: false,
        failures: [`cannot read fixture: ${(cause as Error).message}`],
      });
      continue;
    }
    results.push(...runFixtureFile(ruleSet, fixture, file, options));
  }
  return results;
}

/**
 * Runs the cases of one fixture file (already parsed).
 *
 * @example
 * const results = runFixtureFile(ruleSet, { cases: [{ name: 'red', feedback: { nps: 1 }, expect: { firedRules: ['red'] } }] }, 'inline');
 */
export function runFixtureFile(
  ruleSet: RuleSet,
  fixture: FixtureFile,
  file: string,
  options: RulesDeciderOptions = {},
): FixtureResult[] {
  const segments = new SegmentTree(
    fixture.segments ?? [{ id: 'default', name: 'Default', managers: ['owner'] }],
  );
  const decider = createRulesDecider(ruleSet, options);
  return (fixture.cases ?? []).map((c, i) => {
    const failures: string[] = [];
    const now = new Date(c.now ?? DEFAULT_NOW);
    try {
      if (c.facts !== undefined) {
        const ruleFile = c.kind ? ruleSet.files[c.kind] : undefined;
        if (!ruleFile)
          throw new RulesError(
            'INVALID_INPUT',
            `case needs "kind" naming a rule file of the set, not ${show(c.kind)}`,
          );
        const result = createRulesEngine(ruleFile, {
          operators: options.operators ?? [],
          allowUndefinedFacts: true,
        }).evaluate(c.facts, { now, segments });
        if (c.expect.events) compare(result.events, c.expect.events, 'events', failures);
        if (c.expect.firedRules) compare(result.fired, c.expect.firedRules, 'firedRules', failures);
      } else {
        const parsed = FeedbackSchema.safeParse({
          id: `fixture-${i + 1}`,
          source: { tool: 'fixture', responseId: `fixture-${i + 1}` },
          receivedAt: now.toISOString(),
          customer: { email: 'customer@example.com' },
          ...c.feedback,
        });
        if (!parsed.success) {
          // Field and problem, not the validator's raw dump.
          for (const issue of parsed.error.issues)
            failures.push(
              `feedback${formatPath(issue.path) ? `.${formatPath(issue.path)}` : ''}: ${issue.message}`,
            );
          return { file, name: c.name ?? `case ${i + 1}`, ok: false, failures };
        }
        const feedback = parsed.data;
        const decision = decider.decide(feedback, { segments, now }) as unknown as Record<string, unknown>;
        if (c.expect.firedRules) compare(decision.firedRules, c.expect.firedRules, 'firedRules', failures);
        if (c.expect.decision) compare(decision, c.expect.decision, 'decision', failures);
      }
    } catch (e) {
      failures.push(`error: ${(e as Error).message}`);
    }
    return { file, name: c.name ?? `case ${i + 1}`, ok: failures.length === 0, failures };
  });
}

/** Partial deep match: objects match on the keys `expected` names, lists element by element. */
function compare(actual: unknown, expected: unknown, path: string, failures: string[]): void {
  if (expected === null) {
    if (actual !== undefined && actual !== null) failures.push(`${path}: expected none, got ${show(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      failures.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
      return;
    }
    expected.forEach((e, i) => {
      compare(actual[i], e, `${path}[${i}]`, failures);
    });
    return;
  }
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') {
      failures.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
      return;
    }
    for (const [k, v] of Object.entries(expected))
      compare((actual as Record<string, unknown>)[k], v, `${path}.${k}`, failures);
    return;
  }
  if (actual !== expected) failures.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
}

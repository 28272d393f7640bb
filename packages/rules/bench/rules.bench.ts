// Benchmark: the compiled closedloop rules engine against json-rules-engine 7 in the same run, on a
// 25-rule and a 250-rule routing set over 100,000 generated facts.
// Run: node --conditions=@closedloop/source --expose-gc packages/rules/bench/rules.bench.ts
// Writes rules.json and rules.md into the results folder (bench/results/, or BENCH_OUT).
import { CX_OPERATORS, createRulesEngine, type Facts, type Rule } from '@closedloop/rules';
import { Engine, Operator } from 'json-rules-engine';
import { measuredOn, writeResults } from '../../../bench/results.ts';

const FACTS = 100_000;
const ORACLE_SAMPLE: Record<number, number> = { 25: 5_000, 250: 1_000 };
const NOW = new Date('2026-11-20T12:00:00Z');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEGMENTS = ['es', 'es-madrid', 'it', 'pl', 'de', 'fr', 'uk', 'us'];
const TOUCHPOINTS = ['delivery', 'billing', 'support', 'onboarding', 'renewal'];
const TOPICS = ['billing', 'billing/refund', 'delivery', 'price', 'support', 'quality'];
const WORDS = ['caro', 'envío', 'fattura', 'przesyłka', 'lento', 'great', 'roto', 'abogado', 'ok', 'gracias'];

function routingRules(n: number, seed: number): Rule[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => ({
    id: `route-${i}`,
    priority: 1 + Math.floor(r() * 5),
    conditions: {
      all: [
        { fact: 'segment', operator: 'equal', value: pick(SEGMENTS) },
        { fact: 'nps', operator: 'npsCategory', value: pick(['detractor', 'passive', 'promoter'] as const) },
        {
          any: [
            {
              fact: 'customer',
              path: '$.value',
              operator: 'greaterThanInclusive',
              value: Math.floor(r() * 20_000),
            },
            { fact: 'touchpoint', operator: 'in', value: [pick(TOUCHPOINTS), pick(TOUCHPOINTS)] },
            { fact: 'comment', operator: 'containsAny', value: [pick(WORDS), pick(WORDS)] },
          ],
        },
        { not: { fact: 'topics', operator: 'contains', value: pick(TOPICS) } },
      ],
    },
    event: {
      type: 'openCase',
      params: { priority: pick(['low', 'medium', 'high', 'critical']), segment: pick(SEGMENTS) },
    },
  }));
}

function generateFacts(n: number, seed: number): Facts[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () => ({
    nps: Math.floor(r() * 11),
    segment: pick(SEGMENTS),
    touchpoint: pick(TOUCHPOINTS),
    comment: `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`,
    topics: r() < 0.5 ? [pick(TOPICS)] : [],
    customer: { email: 'c@example.com', segment: pick(SEGMENTS), value: Math.floor(r() * 30_000) },
  }));
}

type Groups = { priority: number; rules: string[] }[];
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

interface Measure {
  decisions: number;
  perSecond: number;
  p50Us: number;
  p99Us: number;
  heapMb: number;
}

async function measure(n: number, decide: (f: Facts) => unknown, facts: Facts[]): Promise<Measure> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const lat = new Float64Array(n);
  let peak = heapBefore;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const out = decide(facts[i]!);
    if (out instanceof Promise) await out;
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
    if ((i & 1023) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  const sorted = [...lat].sort((a, b) => a - b);
  return {
    decisions: n,
    perSecond: Math.round(n / seconds),
    p50Us: Number(percentile(sorted, 0.5).toFixed(2)),
    p99Us: Number(percentile(sorted, 0.99).toFixed(2)),
    heapMb: Number(((peak - heapBefore) / 1048576).toFixed(1)),
  };
}

function oracle(rules: Rule[]): Engine {
  const engine = new Engine([], { allowUndefinedFacts: false });
  for (const op of CX_OPERATORS) {
    engine.addOperator(
      new Operator(op.name, (a: unknown, b: unknown) => op.evaluate(a, b, { now: NOW }), op.acceptsFact),
    );
  }
  for (const r of rules)
    engine.addRule({
      name: r.id,
      priority: r.priority,
      conditions: structuredClone(r.conditions) as never,
      event: r.event,
    });
  return engine;
}

async function oracleGroups(engine: Engine, facts: Facts): Promise<Groups> {
  const { results } = await engine.run(facts);
  const groups: Groups = [];
  for (const res of results) {
    const last = groups.at(-1);
    if (last && last.priority === res.priority) last.rules.push(String(res.name));
    else groups.push({ priority: res.priority ?? 1, rules: [String(res.name)] });
  }
  return groups.map((g) => ({ priority: g.priority, rules: g.rules.sort() }));
}

const results: Record<string, unknown>[] = [];
const facts = generateFacts(FACTS, 7);
for (const size of [25, 250]) {
  const rules = routingRules(size, 1000 + size);
  const ours = createRulesEngine(rules);
  for (let i = 0; i < 5_000; i++) ours.evaluate(facts[i]!, { now: NOW }); // warm up
  const oursM = await measure(FACTS, (f) => ours.evaluate(f, { now: NOW }), facts);

  const sample = ORACLE_SAMPLE[size]!;
  const jre = oracle(rules);
  for (let i = 0; i < 200; i++) await jre.run(facts[i]!);
  const jreM = await measure(sample, (f) => jre.run(f), facts);

  let identical = 0;
  let fired = 0;
  for (let i = 0; i < sample; i++) {
    const expected = await oracleGroups(jre, facts[i]!);
    const actual = ours
      .evaluate(facts[i]!, { now: NOW })
      .groups.map((g) => ({ priority: g.priority, rules: g.events.map((e) => e.ruleId).sort() }));
    if (JSON.stringify(expected) === JSON.stringify(actual)) identical++;
    if (actual.length > 0) fired++;
  }
  const row = {
    rules: size,
    facts: FACTS,
    closedloop: oursM,
    jsonRulesEngine: { ...jreM, sampleOf: FACTS },
    ratio: Number((oursM.perSecond / jreM.perSecond).toFixed(0)),
    identical: { compared: sample, identical, withEvents: fired },
  };
  results.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

const md = [
  '## Rules engine (rules)',
  '',
  `Routing rule sets over ${FACTS.toLocaleString('en')} generated facts, one decision at a time; the reference (json-rules-engine) in the same run, in the rows beside. ${measuredOn(1)}`,
  'json-rules-engine 7.3.1 is measured on a sample of the same facts (the first N), sequential `await engine.run(facts)`;',
  'closedloop runs all of them. "Identical" compares, on the sample, each priority group (in order) and the rules fired in it (as a set).',
  '',
  '| rules | engine | decisions | decisions/s | p50 (µs) | p99 (µs) | heap growth (MB) | ratio | identical |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---|',
  ...results.flatMap((r) => {
    const row = r as {
      rules: number;
      closedloop: Measure;
      jsonRulesEngine: Measure;
      ratio: number;
      identical: { compared: number; identical: number; withEvents: number };
    };
    const same = `${row.identical.identical}/${row.identical.compared} (${row.identical.withEvents} with events)`;
    return [
      `| ${row.rules} | closedloop | ${row.closedloop.decisions.toLocaleString('en')} | ${row.closedloop.perSecond.toLocaleString('en')} | ${row.closedloop.p50Us} | ${row.closedloop.p99Us} | ${row.closedloop.heapMb} | ${row.ratio}× | ${same} |`,
      `| ${row.rules} | json-rules-engine (sample) | ${row.jsonRulesEngine.decisions.toLocaleString('en')} | ${row.jsonRulesEngine.perSecond.toLocaleString('en')} | ${row.jsonRulesEngine.p50Us} | ${row.jsonRulesEngine.p99Us} | ${row.jsonRulesEngine.heapMb} | 1× | |`,
    ];
  }),
  '',
].join('\n');
writeResults('rules', { facts: FACTS, results }, md);

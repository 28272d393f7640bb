import { FEEDBACK_FACTS } from './facts.ts';
import type { RuleFiles } from './files.ts';
import { KIND_EVENTS } from './kinds.ts';
import { type OperatorDefinition, OperatorRegistry } from './operators.ts';
import type { FactType, RuleKind } from './types.ts';
import { FACT_LABELS } from './words.ts';

/** A fact as a condition builder offers it. */
export interface CatalogueFact {
  name: string;
  label: string;
  type: 'number' | 'string' | 'boolean' | 'array' | 'date';
  operators: string[];
  /** Values to pick from, when the fact has a known set. */
  values?: { value: string | number | boolean; label: string }[];
  description?: string;
  /** An object fact: conditions read one part of it with `path` (e.g. `$.plan`). */
  needsPath?: boolean;
}

/** What exists around the rules, for pick lists. */
export interface CatalogueContext {
  segments: readonly { id: string; name: string; parent?: string }[];
  people: readonly { id: string; name: string }[];
  templates: readonly { id: string; languages: string[] }[];
  /** Extra topics known besides those the classify rules add. */
  topics?: readonly string[];
  operators?: readonly OperatorDefinition[];
}

export interface RulesCatalogue {
  facts: CatalogueFact[];
  segments: { id: string; name: string; parent?: string }[];
  people: { id: string; name: string }[];
  templates: { id: string; languages: string[] }[];
  topics: string[];
  eventTypes: Record<RuleKind, string[]>;
}

const pick = (values: readonly string[], labels: Record<string, string> = {}) =>
  values.map((v) => ({ value: v, label: labels[v] ?? v }));

/**
 * The fact catalogue of a rule set for a condition builder: each fact with its type, the operators
 * that work on it, and pick lists (NPS categories, segments, topics, flags, value bands, languages);
 * plus the segments, people, templates and topics that exist.
 *
 * @example
 * const catalogue = rulesCatalogue(files, { segments, people, templates });
 */
export function rulesCatalogue(files: RuleFiles, ctx: CatalogueContext): RulesCatalogue {
  const registry = new OperatorRegistry(ctx.operators);
  const ops = registry.names().map((n) => registry.base(n)!);
  const operatorsFor = (type: FactType | 'date', name: string): string[] => {
    const base = type === 'date' ? 'string' : type;
    const list = ops.filter((o) => !o.factTypes || o.factTypes.includes(base as FactType)).map((o) => o.name);
    // Name-specific operators go where they mean something.
    return list.filter((o) => {
      if (o === 'npsCategory') return name === 'nps';
      if (o === 'inSegmentSubtree') return name === 'segment';
      if (o === 'withinDays') return type === 'date';
      if (o === 'matchesTopic') return name === 'topics';
      return true;
    });
  };
  const topics = new Set(ctx.topics ?? []);
  const bands = new Set<string>();
  for (const rule of files.classify?.rules ?? []) {
    if (rule.event.type === 'addTopic' && typeof rule.event.params?.topic === 'string')
      topics.add(rule.event.params.topic);
    if (rule.event.type === 'setValueBand' && typeof rule.event.params?.band === 'string')
      bands.add(rule.event.params.band);
  }
  const declared: Record<string, { type: FactType; description?: string }> = { ...FEEDBACK_FACTS };
  for (const kind of Object.keys(files) as RuleKind[])
    for (const [name, d] of Object.entries(files[kind]?.facts ?? {})) declared[name] = d;

  const values: Record<string, CatalogueFact['values']> = {
    npsCategory: pick(['promoter', 'passive', 'detractor']),
    csatCategory: pick(['satisfied', 'neutral', 'dissatisfied']),
    segment: ctx.segments.map((s) => ({ value: s.id, label: s.name })),
    topics: pick([...topics].sort()),
    flags: pick(['red', 'yellow']),
    valueBand: pick([...bands].sort()),
    anonymous: [
      { value: true, label: 'yes' },
      { value: false, label: 'no' },
    ],
    language: pick(['en', 'es', 'it', 'pl', 'fr', 'de', 'pt']),
  };
  values.nps = [
    { value: 'detractor', label: 'detractor (0–6)' },
    { value: 'passive', label: 'passive (7–8)' },
    { value: 'promoter', label: 'promoter (9–10)' },
  ];
  const facts: CatalogueFact[] = Object.entries(declared).map(([name, d]) => {
    const type: CatalogueFact['type'] =
      name === 'receivedAt'
        ? 'date'
        : d.type === 'object' || d.type === 'any'
          ? 'string'
          : (d.type as CatalogueFact['type']);
    const v = values[name];
    return {
      name,
      label: FACT_LABELS[name] ?? name,
      type,
      operators: operatorsFor(type, name),
      ...(v && v.length > 0 ? { values: v } : {}),
      ...(d.description ? { description: d.description } : {}),
      ...(d.type === 'object' ? { needsPath: true } : {}),
    };
  });
  return {
    facts,
    segments: ctx.segments.map((s) => ({
      id: s.id,
      name: s.name,
      ...(s.parent ? { parent: s.parent } : {}),
    })),
    people: ctx.people.map((p) => ({ id: p.id, name: p.name })),
    templates: ctx.templates.map((t) => ({ id: t.id, languages: [...t.languages] })),
    topics: [...topics].sort(),
    eventTypes: Object.fromEntries(Object.entries(KIND_EVENTS).map(([k, v]) => [k, [...v]])) as Record<
      RuleKind,
      string[]
    >,
  };
}

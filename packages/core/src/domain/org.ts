// The organisation: people and the segment tree. Plain TypeScript with hand-written checks and no
// zod, because the loop machine needs it and must load fast inside a Temporal workflow sandbox.
import { ClosedLoopError, type FieldIssue } from '../errors.ts';
import { unknownKeysMessage } from './suggest.ts';

/** Someone who can own cases or receive notifications. */
export interface Person {
  id: string;
  name: string;
  email: string;
  language?: string | undefined;
  roles?: string[] | undefined;
}

/** A segment of the customer base, in a tree, with the managers who handle its cases (seed 001). */
export interface Segment {
  id: string;
  name: string;
  parent?: string | undefined;
  /** Person ids; the first is the default case owner. */
  managers: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function fail(what: string, issues: FieldIssue[]): never {
  const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new ClosedLoopError('INVALID_INPUT', `Invalid ${what}: ${issues.length} problem(s)\n${list}`, {
    issues,
  });
}

function records(input: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(input)) fail(what, [{ path: '(root)', message: `expected a list of ${what}` }]);
  const issues: FieldIssue[] = [];
  input.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      issues.push({ path: `[${i}]`, message: 'expected an object' });
  });
  if (issues.length) fail(what, issues);
  return input as Record<string, unknown>[];
}

function checkPeople(input: unknown): Person[] {
  const issues: FieldIssue[] = [];
  const people = records(input, 'directory');
  people.forEach((p, i) => {
    if (!isText(p.id)) issues.push({ path: `[${i}].id`, message: 'give each person a non-empty id' });
    if (!isText(p.name)) issues.push({ path: `[${i}].name`, message: 'give each person a name' });
    if (typeof p.email !== 'string' || !EMAIL.test(p.email)) {
      issues.push({ path: `[${i}].email`, message: 'give each person a valid email address' });
    }
    if (p.language !== undefined && typeof p.language !== 'string')
      issues.push({ path: `[${i}].language`, message: 'expected a language tag such as "es"' });
    if (p.roles !== undefined && !(Array.isArray(p.roles) && p.roles.every((r) => typeof r === 'string'))) {
      issues.push({ path: `[${i}].roles`, message: 'expected a list of role names' });
    }
  });
  if (issues.length) fail('directory', issues);
  return people as unknown as Person[];
}

const SEGMENT_KEYS = ['id', 'name', 'parent', 'managers'];

function checkSegments(input: unknown): Segment[] {
  const issues: FieldIssue[] = [];
  const segments = records(input, 'segments');
  segments.forEach((s, i) => {
    const unknown = Object.keys(s).filter((k) => !SEGMENT_KEYS.includes(k));
    if (unknown.length) issues.push({ path: `[${i}]`, message: unknownKeysMessage(unknown, SEGMENT_KEYS) });
    if (!isText(s.id)) issues.push({ path: `[${i}].id`, message: 'give each segment a non-empty id' });
    if (!isText(s.name)) issues.push({ path: `[${i}].name`, message: 'give each segment a name' });
    if (s.parent !== undefined && !isText(s.parent))
      issues.push({ path: `[${i}].parent`, message: 'the parent is a segment id' });
    if (!Array.isArray(s.managers) || s.managers.length === 0) {
      issues.push({
        path: `[${i}].managers`,
        message: 'a segment needs at least one manager to own its cases',
      });
    } else if (!s.managers.every(isText)) {
      issues.push({ path: `[${i}].managers`, message: 'managers are person ids' });
    }
  });
  if (issues.length) fail('segments', issues);
  return segments as unknown as Segment[];
}

/** The people directory: lookup by id, with a clear error for an unknown id. */
export class Directory {
  readonly #byId: Map<string, Person>;
  constructor(people: readonly Person[]) {
    const parsed = checkPeople(people);
    this.#byId = new Map();
    for (const p of parsed) {
      if (this.#byId.has(p.id)) {
        throw new ClosedLoopError('INVALID_INPUT', `Invalid directory: person id "${p.id}" appears twice`);
      }
      this.#byId.set(p.id, p);
    }
  }
  has(id: string): boolean {
    return this.#byId.has(id);
  }
  find(id: string): Person | undefined {
    return this.#byId.get(id);
  }
  get(id: string): Person {
    const p = this.#byId.get(id);
    if (!p) throw new ClosedLoopError('INVALID_INPUT', `Unknown person "${id}": add them to the directory`);
    return p;
  }
  all(): Person[] {
    return [...this.#byId.values()];
  }
}

/**
 * The segment hierarchy and seed 001's rule for moving a case between segments:
 * while new/open/resolved a case may go to the same segment, a sibling, or any segment below
 * the current one; while escalated, to the direct parent or any segment above.
 */
export class SegmentTree {
  readonly #byId: Map<string, Segment>;
  readonly #children = new Map<string, string[]>();

  constructor(segments: readonly Segment[], directory?: Directory) {
    const parsed = checkSegments(segments);
    this.#byId = new Map();
    for (const s of parsed) {
      if (this.#byId.has(s.id)) {
        throw new ClosedLoopError('INVALID_INPUT', `Invalid segments: segment id "${s.id}" appears twice`);
      }
      this.#byId.set(s.id, s);
    }
    for (const s of parsed) {
      if (s.parent !== undefined) {
        if (!this.#byId.has(s.parent)) {
          throw new ClosedLoopError(
            'INVALID_INPUT',
            `Invalid segments: "${s.id}" has parent "${s.parent}", which is not a segment`,
          );
        }
        this.#children.set(s.parent, [...(this.#children.get(s.parent) ?? []), s.id]);
      }
      for (const m of s.managers) {
        if (directory && !directory.has(m)) {
          throw new ClosedLoopError(
            'INVALID_INPUT',
            `Invalid segments: manager "${m}" of segment "${s.id}" is not in the directory`,
          );
        }
      }
    }
    for (const s of parsed) this.ancestors(s.id); // throws on a cycle
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }
  get(id: string): Segment {
    const s = this.#byId.get(id);
    if (!s) {
      throw new ClosedLoopError(
        'INVALID_INPUT',
        `Unknown segment "${id}"; known segments: ${[...this.#byId.keys()].join(', ')}`,
      );
    }
    return s;
  }
  all(): Segment[] {
    return [...this.#byId.values()];
  }
  parentOf(id: string): string | undefined {
    return this.get(id).parent;
  }
  children(id: string): string[] {
    return this.#children.get(id) ?? [];
  }
  /** Parent, grandparent, … up to the root. */
  ancestors(id: string): string[] {
    const out: string[] = [];
    let cur = this.get(id).parent;
    while (cur !== undefined) {
      if (out.includes(cur) || cur === id) {
        throw new ClosedLoopError('INVALID_INPUT', `Invalid segments: a parent cycle runs through "${id}"`);
      }
      out.push(cur);
      cur = this.get(cur).parent;
    }
    return out;
  }
  /** Every segment below `id`, depth first. */
  descendants(id: string): string[] {
    const out: string[] = [];
    const stack = [...this.children(id)];
    while (stack.length > 0) {
      const next = stack.pop()!;
      out.push(next);
      stack.push(...this.children(next));
    }
    return out;
  }
  siblings(id: string): string[] {
    const parent = this.get(id).parent;
    const peers =
      parent === undefined
        ? this.all()
            .filter((s) => s.parent === undefined)
            .map((s) => s.id)
        : this.children(parent);
    return peers.filter((s) => s !== id);
  }
  /** Whether `id` is `root` or lies below it. */
  inSubtree(id: string, root: string): boolean {
    return id === root || this.ancestors(id).includes(root);
  }
  /** The segments a case in `from` may move to, given whether it is escalated (seed 001). */
  allowedMoves(from: string, escalated: boolean): string[] {
    return escalated ? this.ancestors(from) : [from, ...this.siblings(from), ...this.descendants(from)];
  }
  managers(id: string): string[] {
    return this.get(id).managers;
  }
}

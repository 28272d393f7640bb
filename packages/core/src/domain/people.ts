import { z } from 'zod';
import { ClosedLoopError } from '../errors.ts';
import { parseOrThrow } from './parse.ts';

/** Someone who can own cases or receive notifications. */
export const PersonSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  email: z.email(),
  language: z.string().optional(),
  roles: z.array(z.string()).optional(),
});
export type Person = z.output<typeof PersonSchema>;

/** A segment of the customer base, in a tree, with the managers who handle its cases (seed 001). */
export const SegmentSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  parent: z.string().min(1).optional(),
  /** Person ids; the first is the default case owner. */
  managers: z.array(z.string().min(1)).min(1, 'a segment needs at least one manager to own its cases'),
});
export type Segment = z.output<typeof SegmentSchema>;

/** The people directory: lookup by id, with a clear error for an unknown id. */
export class Directory {
  readonly #byId: Map<string, Person>;
  constructor(people: readonly Person[]) {
    const parsed = parseOrThrow(z.array(PersonSchema), people, 'INVALID_INPUT', 'directory');
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
    const parsed = parseOrThrow(z.array(SegmentSchema), segments, 'INVALID_INPUT', 'segments');
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

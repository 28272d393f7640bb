import type { Node } from 'jsonc-parser';
import { findNodeAtLocation } from 'jsonc-parser';

/** Splits a JSON pointer into keys: `/rules/0/id` -> ['rules', 0, 'id']. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Maps JSON pointers to 1-based line and column in the source text. */
export class PositionMap {
  readonly #lineStarts: number[] = [0];
  readonly #root: Node | undefined;
  constructor(text: string, root: Node | undefined) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
    this.#root = root;
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#lineStarts[lo]! + 1 };
  }
  /** The position of the value at `pointer`, or of its nearest existing ancestor. */
  of(pointer: string): { line: number; column: number } {
    if (!this.#root) return { line: 1, column: 1 };
    const path = pointerSegments(pointer);
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(this.#root, path.slice(0, n));
      if (node) {
        // Point at the property name when there is one ("id": …), else at the value.
        const target = node.parent?.type === 'property' ? node.parent : node;
        return this.at(target.offset);
      }
    }
    return { line: 1, column: 1 };
  }
}

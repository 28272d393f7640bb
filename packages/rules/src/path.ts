// `path` on a condition: the JSONPath subset rule files use ($.a.b, $.a[0], $['a b']).

export type PathSegment = string;

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** Splits `$.a.b[0]` into `['a', 'b', '0']`; returns undefined for a path outside the subset. */
export function parsePath(path: string): PathSegment[] | undefined {
  let rest = path.startsWith('$') ? path.slice(1) : `.${path}`;
  const out: PathSegment[] = [];
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return undefined;
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * Reads `segments` from a fact value as json-rules-engine 7 does: a non-object fact is returned
 * as is; on an object, each step reads an own property (strings have `length` and indices),
 * and a missing step gives undefined.
 */
export function resolvePath(value: unknown, segments: readonly PathSegment[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  let cur: unknown = value;
  for (const seg of segments) {
    if (cur === null || cur === undefined) return undefined;
    const boxed = Object(cur) as Record<string, unknown>;
    if (!Object.hasOwn(boxed, seg)) return undefined;
    cur = boxed[seg];
  }
  return cur;
}

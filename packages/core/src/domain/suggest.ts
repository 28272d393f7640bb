// "Did you mean" for misspelt keys and names. Plain TypeScript (no zod): the organisation
// checks use it inside the Temporal workflow sandbox too.

/**
 * The closest name to `word` among `names` (edit distance, case ignored), or undefined when none
 * is close enough to be a likely typo.
 *
 * @example
 * closestName('parentId', ['id', 'name', 'parent', 'managers']); // 'parent'
 */
export function closestName(word: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const name of names) {
    const n = name.toLowerCase();
    // A known name with something added or cut (`parentId`, `secret` for `secretEnv`) means that
    // name; the more they share, the likelier.
    const [short, long] = n.length <= w.length ? [n, w] : [w, n];
    const affix = short.length >= 3 && (long.startsWith(short) || long.endsWith(short));
    const d = affix ? Math.min(distance(w, n), 1 + (1 - short.length / long.length)) : distance(w, n);
    if (d < bestScore) {
      bestScore = d;
      best = name;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The message for keys an input may not have: each with the known key it most likely means.
 *
 * @example
 * unknownKeysMessage(['parentId'], ['id', 'name', 'parent', 'managers']);
 * // 'unknown field "parentId": did you mean "parent"?'
 */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((k) => {
    const near = closestName(k, known);
    return near ? `unknown field "${k}": did you mean "${near}"?` : `unknown field "${k}"`;
  });
  const anyNear = keys.some((k) => closestName(k, known) !== undefined);
  return anyNear ? parts.join('; ') : `${parts.join('; ')}: remove it or use one of ${known.join(', ')}`;
}

/**
 * A zod error customiser (`schema.safeParse(v, { error: suggestKeys })`) that turns an
 * `unrecognized_keys` issue of a strict object into {@link unknownKeysMessage}.
 */
export function suggestKeys(issue: {
  code?: string | undefined;
  keys?: readonly string[];
  inst?: unknown;
}): string | undefined {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) return undefined;
  const shape = shapeOf(issue.inst) ?? {};
  const known = Object.keys(shape);
  // A key that belongs one level down (`segmentId` beside `customer`) is named with its path.
  const nested = Object.entries(shape).flatMap(([k, v]) =>
    Object.keys(shapeOf(v) ?? {}).map((inner) => `${k}.${inner}`),
  );
  const parts = issue.keys.map((k) => {
    const near = closestName(k, known) ?? nestedMatch(k, nested);
    return near ? `unknown field "${k}": did you mean "${near}"?` : undefined;
  });
  if (parts.every((p) => p !== undefined)) return parts.join('; ');
  return unknownKeysMessage(issue.keys, known);
}

function nestedMatch(key: string, paths: readonly string[]): string | undefined {
  const byLeaf = new Map(paths.map((p) => [p.slice(p.indexOf('.') + 1), p]));
  const leaf = closestName(key, byLeaf.keys());
  return leaf === undefined ? undefined : byLeaf.get(leaf);
}

type ZodLike = { _zod?: { def?: { shape?: Record<string, unknown>; innerType?: unknown } } };

/** The keys of a zod object schema, looking through optional/default/refinement wrappers. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as ZodLike | undefined;
  for (let i = 0; i < 5 && s?._zod?.def; i++) {
    if (s._zod.def.shape) return s._zod.def.shape;
    s = s._zod.def.innerType as ZodLike | undefined;
  }
  return undefined;
}

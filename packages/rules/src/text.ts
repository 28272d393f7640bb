// Case- and accent-insensitive text matching for es/it/pl/en comments.

const EXTRA: Record<string, string> = { ł: 'l', đ: 'd', ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ı: 'i' };

/** Lower-cases and strips accents: "Atención ŁÓDŹ" -> "atencion lodz". */
export function foldText(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[łđøæœßı]/g, (c) => EXTRA[c] ?? c);
}

const WORD = /[\p{L}\p{N}]/u;

/** Whether `needle` (already folded) occurs in `haystack` (already folded) as whole words. */
export function containsWords(haystack: string, needle: string): boolean {
  if (needle.length === 0) return false;
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return false;
    const before = at === 0 ? '' : haystack[at - 1]!;
    const after = haystack[at + needle.length] ?? '';
    if (!WORD.test(before) && !WORD.test(after)) return true;
    from = at + 1;
  }
}

// Reading the values of an imported wave strictly: a date or a score that cannot be read is an
// error with the reason, never a guess (no "import time" for `not-a-date`, no 1 October for
// 31 September).

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface DateOptions {
  /** Slash dates as day/month/year (`31/01/2026`); default month/day/year as US exports write them. */
  dayFirst?: boolean;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?$/i;
const SLASH =
  /^(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}|GMT[+-]\d{1,2}(?::?\d{2})?)?)?$/i;

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (!zone || /^(Z|UTC|GMT)$/i.test(zone)) return 0;
  const m = /^(?:GMT)?([+-])(\d{1,2}):?(\d{2})?$/i.exec(zone);
  if (!m) return undefined;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

function build(
  raw: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  zone: string | undefined,
): Read<string> {
  if (mo < 1 || mo > 12) return { ok: false, error: `"${raw}" has month ${mo}: not a real date` };
  if (y < 1900 || y > 2999) return { ok: false, error: `"${raw}" has year ${y}: not a plausible date` };
  if (d < 1 || d > daysIn(y, mo))
    return {
      ok: false,
      error: `"${raw}" is not a real date: ${MONTHS[mo - 1]} ${y} has ${daysIn(y, mo)} days`,
    };
  if (h > 23 || mi > 59 || s > 59) return { ok: false, error: `"${raw}" has an impossible time of day` };
  const offset = zoneOffsetMinutes(zone);
  if (offset === undefined) return { ok: false, error: `"${raw}" has a time zone that cannot be read` };
  const at = Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset * 60_000;
  return { ok: true, value: new Date(at).toISOString() };
}

/**
 * Reads a date as survey tools export it: ISO 8601 (`2026-01-15`, `2026-01-15T10:23:45Z`,
 * Qualtrics' `2026-01-15 10:23:45`), slash dates (`1/15/2026 10:23:45 AM` from SurveyMonkey and
 * Google Forms; day first with `dayFirst`), or Unix seconds (Delighted's API). A date without a
 * zone is UTC. Returns an ISO timestamp, or why the text is not a date.
 *
 * @example
 * readDate('2026-09-31'); // { ok: false, error: '"2026-09-31" is not a real date: September 2026 has 30 days' }
 */
export function readDate(text: string, options: DateOptions = {}): Read<string> {
  const raw = text.trim();
  if (/^\d{9,10}$/.test(raw)) return { ok: true, value: new Date(Number(raw) * 1000).toISOString() };
  const iso = ISO.exec(raw);
  if (iso) {
    const ms = iso[7] ? Number(iso[7].slice(0, 3).padEnd(3, '0')) : 0;
    return build(
      raw,
      Number(iso[1]),
      Number(iso[2]),
      Number(iso[3]),
      Number(iso[4] ?? 0),
      Number(iso[5] ?? 0),
      Number(iso[6] ?? 0),
      ms,
      iso[8],
    );
  }
  const sl = SLASH.exec(raw);
  if (sl) {
    const [a, b, c] = [Number(sl[1]), Number(sl[2]), Number(sl[3])];
    let y: number;
    let mo: number;
    let d: number;
    if (sl[1]!.length === 4) [y, mo, d] = [a, b, c];
    else if (sl[3]!.length === 4) {
      [mo, d] = options.dayFirst ? [b, a] : [a, b];
      y = c;
    } else return { ok: false, error: `"${raw}" has no four-digit year: write it as 2026-01-15` };
    let h = Number(sl[4] ?? 0);
    const ampm = sl[7]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) return { ok: false, error: `"${raw}" has an impossible time of day` };
      h = (h % 12) + (ampm === 'PM' ? 12 : 0);
    }
    return build(raw, y, mo, d, h, Number(sl[5] ?? 0), Number(sl[6] ?? 0), 0, sl[8]);
  }
  return {
    ok: false,
    error: `"${raw.slice(0, 60)}" is not a date: use ISO 8601 such as 2026-01-15 or 2026-01-15T10:30:00Z`,
  };
}

/**
 * Reads a score cell: a whole number in range, also as exports write choices (`7.0`,
 * `10 - Extremely likely`, `9 (Promoter)`).
 *
 * @example
 * readScore('10 - Extremely likely', 0, 10); // { ok: true, value: 10 }
 */
export function readScore(text: string, min: number, max: number): Read<number> {
  const raw = text.trim();
  const m = /^(\d{1,3})(?:\.0+)?(?:\s*(?:[-–—:(]|\s)\s*\D.*)?$/.exec(raw);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    return { ok: false, error: `"${raw.slice(0, 60)}" is not a score from ${min} to ${max}` };
  return { ok: true, value: n };
}

// Business-hours arithmetic. No zod: the loop machine uses it inside workflow sandboxes.
import type { BusinessCalendar } from './calendar.ts';
import { WEEKDAYS } from './constants.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(ms: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, min: p.minute!, s: p.second! };
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const p = partsIn(ms, timeZone);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `timeZone` (DST gaps resolve forward). */
function zonedToUtc(y: number, m: number, d: number, minutes: number, timeZone: string): number {
  const guess = Date.UTC(y, m - 1, d, 0, minutes);
  const first = guess - offsetAt(guess, timeZone);
  return guess - offsetAt(first, timeZone);
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * Adds `durationMs` of business time to `startMs`: the clock runs only inside the calendar's
 * opening hours, and not on holidays. Without a calendar, time runs round the clock.
 *
 * @example
 * // Friday 16:00 in Madrid plus 2 business hours, open 09–17 Mon–Fri: Monday 10:00.
 * addBusinessTime(Date.parse('2026-11-20T15:00:00Z'), 2 * 3600_000, madridOffice)
 */
export function addBusinessTime(startMs: number, durationMs: number, calendar?: BusinessCalendar): number {
  if (!calendar || durationMs <= 0) return startMs + Math.max(0, durationMs);
  const hasHours = WEEKDAYS.some((d) => calendar.hours[d]);
  if (!hasHours) return startMs + durationMs;
  const holidays = new Set(calendar.holidays);
  let remaining = durationMs;
  const p = partsIn(startMs, calendar.timeZone);
  // Walk local calendar days from the start's local date.
  let day = Date.UTC(p.y, p.m - 1, p.d);
  for (let i = 0; i < 3700; i++, day += 86_400_000) {
    const date = new Date(day);
    const iso = date.toISOString().slice(0, 10);
    const window = calendar.hours[WEEKDAYS[date.getUTCDay()]!];
    if (!window || holidays.has(iso)) continue;
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const open = zonedToUtc(y, m, d, minutesOf(window[0]), calendar.timeZone);
    const close = zonedToUtc(y, m, d, minutesOf(window[1]), calendar.timeZone);
    const from = Math.max(open, startMs);
    if (from >= close) continue;
    if (from + remaining <= close) return from + remaining;
    remaining -= close - from;
  }
  throw new RangeError('addBusinessTime: the calendar has no opening hours in the next ten years');
}

/** Times in the viewer's own time zone (the browser's), with the zone named. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTime.format(t);
}

/** The viewer's time zone, e.g. "Europe/Madrid". */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** How far an instant is from now, in words: "in 3 h", "2 d ago". */
export function fromNow(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
  ];
  const [size, unit] = units.find(([s]) => abs >= s) ?? [60_000, 'min'];
  const n = Math.max(1, Math.round(abs / size));
  return diff >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

/** A local calendar day (`2026-03-01` in the viewer's zone) as the instant it starts (ISO, UTC). */
export function dayStart(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).toISOString();
}

import { z } from 'zod';
import { WEEKDAYS } from './constants.ts';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'use "HH:MM", 24-hour, e.g. "09:00"');
const Window = z
  .tuple([HHMM, HHMM])
  .refine(([a, b]) => a < b, { message: 'the opening time must be before the closing time' });

export { WEEKDAYS } from './constants.ts';
export type Weekday = (typeof WEEKDAYS)[number];

/** Business hours in one time zone: opening windows per weekday and a list of holidays (R17). */
export const BusinessCalendarSchema = z.object({
  timeZone: z.string().refine(isTimeZone, { message: 'use an IANA time zone such as "Europe/Madrid"' }),
  hours: z.partialRecord(z.enum(WEEKDAYS), Window),
  holidays: z.array(z.iso.date()).default([]),
});
export type BusinessCalendar = z.output<typeof BusinessCalendarSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export { addBusinessTime } from './business-time.ts';

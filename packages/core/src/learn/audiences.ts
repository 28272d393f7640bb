// The report schedule as people write it in a config file (the `closedloop serve` config and the
// Temporal worker's): run time, time zone, and who gets which cadence — a person of the directory
// (their segments, their email) or a listed audience.
import { z } from 'zod';
import { Directory, type Person, type Segment, SegmentTree } from '../domain/people.ts';
import { ClosedLoopError } from '../errors.ts';
import {
  type Audience,
  audienceFor,
  CADENCE_SECTIONS,
  CADENCES,
  type Cadence,
  type ReportSection,
} from './report.ts';

const SECTIONS = [...new Set(Object.values(CADENCE_SECTIONS).flat())] as [ReportSection, ...ReportSection[]];
const Sections = z.array(z.enum(SECTIONS)).min(1).optional();

/** One audience of a scheduled report: a person of the directory, or a listed one. */
export const AudienceConfigSchema = z.union([
  z
    .object({
      /** A person of the directory: the report covers the segments they manage, sent to their email. */
      person: z.string().min(1),
      id: z.string().min(1).optional(),
      team: z.string().optional(),
      role: z.string().optional(),
      sections: Sections,
    })
    .strict(),
  z
    .object({
      id: z.string().min(1).optional(),
      name: z.string().optional(),
      email: z.email(),
      team: z.string().optional(),
      role: z.string().optional(),
      /** Segments (with their subtrees); all when absent. */
      segments: z.array(z.string().min(1)).optional(),
      sections: Sections,
    })
    .strict(),
]);
export type AudienceConfig = z.input<typeof AudienceConfigSchema>;

/** When the reports run and who gets them. */
export const ReportScheduleConfigSchema = z
  .object({
    /** IANA time zone of the run times (default UTC). */
    timeZone: z.string().default('UTC'),
    hour: z.int().min(0).max(23).default(8),
    minute: z.int().min(0).max(59).default(0),
    audiences: z
      .object(
        Object.fromEntries(CADENCES.map((c) => [c, z.array(AudienceConfigSchema).default([])])) as Record<
          Cadence,
          z.ZodDefault<z.ZodArray<typeof AudienceConfigSchema>>
        >,
      )
      .strict(),
  })
  .strict();
export type ReportScheduleConfig = z.output<typeof ReportScheduleConfigSchema>;

/**
 * The audiences of a report schedule config, checked against the organisation: a `person` entry
 * becomes that person's personalised audience ({@link audienceFor}); a listed one must name known
 * segments. Errors name the entry (`reports.audiences.daily[0].person: …`) under `path`.
 *
 * @example
 * resolveAudiences(config.reports.audiences, directory, segments) // { weekly: [{ name: 'Eva', … }], … }
 */
export function resolveAudiences(
  audiences: ReportScheduleConfig['audiences'],
  people: readonly Person[],
  segmentList: readonly Segment[],
  path = 'reports.audiences',
): Record<Cadence, Audience[]> {
  const directory = new Directory(people);
  const segments = new SegmentTree(segmentList, directory);
  const out = {} as Record<Cadence, Audience[]>;
  for (const cadence of CADENCES) {
    out[cadence] = audiences[cadence].map((a, i) => {
      const where = `${path}.${cadence}[${i}]`;
      if ('person' in a) {
        if (!directory.has(a.person))
          throw invalidAudience(
            `${where}.person`,
            `"${a.person}" is not in the directory: use the id of a person there`,
          );
        const audience = audienceFor(directory.get(a.person), segments, {
          ...(a.team ? { team: a.team } : {}),
          ...(a.role ? { role: a.role } : {}),
          ...(a.sections ? { sections: a.sections } : {}),
        });
        if (!audience.segments?.length)
          throw invalidAudience(
            `${where}.person`,
            `"${a.person}" manages no segment, so their report would be empty: list them as a manager of a segment, or give "email" and "segments" instead`,
          );
        return a.id ? { ...audience, id: a.id } : audience;
      }
      for (const id of a.segments ?? []) {
        if (!segments.has(id))
          throw invalidAudience(
            `${where}.segments`,
            `unknown segment "${id}": use an id of the "segments" list`,
          );
      }
      return a as Audience;
    });
  }
  return out;
}

function invalidAudience(path: string, message: string): ClosedLoopError {
  return new ClosedLoopError('CONFIGURATION', `${path}: ${message}`, { issues: [{ path, message }] });
}

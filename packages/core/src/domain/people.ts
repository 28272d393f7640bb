import { z } from 'zod';
import type { Person as OrgPerson, Segment as OrgSegment } from './org.ts';

/** Someone who can own cases or receive notifications. */
export const PersonSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  email: z.email(),
  language: z.string().optional(),
  roles: z.array(z.string()).optional(),
});
export type Person = z.output<typeof PersonSchema>;
// The types are written out in org.ts (no zod there, so the loop machine loads without it);
// these checks keep the schemas and the types in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _person: Same<Person, OrgPerson> = true;
void _person;

/** A segment of the customer base, in a tree, with the managers who handle its cases (seed 001). */
export const SegmentSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    parent: z.string().min(1).optional(),
    /** Person ids; the first is the default case owner. */
    managers: z.array(z.string().min(1)).min(1, 'a segment needs at least one manager to own its cases'),
  })
  .strict();
export type Segment = z.output<typeof SegmentSchema>;
const _segment: Same<Segment, OrgSegment> = true;
void _segment;

export { Directory, SegmentTree } from './org.ts';

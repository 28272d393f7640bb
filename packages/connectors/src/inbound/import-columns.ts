// Which column of an exported wave holds what: the tools' own export headers (see
// src/__tests__/fixtures/import/README.md for where each comes from), plain names, and an
// explicit mapping that names columns for some fields while the rest are still recognised.
import { z } from 'zod';
import { FieldMappingSchema } from './mapping.ts';

/** `--mapping FILE` / config `import.mapping`: column names per field (matched without regard to case). */
export const ImportMappingSchema = FieldMappingSchema.extend({
  /** The response's own id: a re-import of the same id updates that feedback. */
  responseId: z.array(z.string()).optional(),
  /** When the answer was given. */
  submittedAt: z.array(z.string()).optional(),
  firstName: z.array(z.string()).optional(),
  lastName: z.array(z.string()).optional(),
}).strict();
export type ImportMapping = z.input<typeof ImportMappingSchema>;

export type ColumnRole =
  | 'responseId'
  | 'submittedAt'
  | 'nps'
  | 'csat'
  | 'comment'
  | 'email'
  | 'name'
  | 'firstName'
  | 'lastName'
  | 'customerId'
  | 'segment'
  | 'language'
  | 'touchpoint'
  /** Export metadata (IP address, start date, progress…): neither an answer nor an attribute. */
  | 'meta'
  /** A hidden field / custom variable: kept as a customer attribute. */
  | 'attribute'
  | 'answer';

/** A header as compared: lower case, letters, digits and `#` only. */
export const normHeader = (h: string) => h.toLowerCase().replace(/[^a-z0-9#]+/g, '');

const EXACT: Record<Exclude<ColumnRole, 'answer'>, string[]> = {
  responseId: [
    'responseid', // generic, Qualtrics ResponseId / legacy ResponseID, Delighted "Response ID"
    'respondentid', // SurveyMonkey "Respondent ID"
    '#', // Typeform's response token column
    'submissionid',
    'id',
  ],
  // In order of preference: when the answer was submitted, not when it was started.
  submittedAt: [
    'submittedat',
    'submitdateutc', // Typeform "Submit Date (UTC)"
    'submitdate',
    'recordeddate', // Qualtrics RecordedDate
    'enddate', // Qualtrics EndDate, SurveyMonkey "End Date"
    'timestamp', // Google Forms "Timestamp"
    'receivedat',
    'createdat', // Delighted "Created At"
    'responsedate',
    'date',
  ],
  nps: ['nps', 'npsscore', 'score', 'likelihoodtorecommend', 'netpromoterscore'],
  csat: ['csat', 'csatscore', 'satisfaction'],
  comment: ['comment', 'comments', 'feedback', 'verbatim', 'why', 'reason'],
  email: ['email', 'emailaddress', 'recipientemail', 'customeremail'],
  name: ['name', 'fullname', 'customername'],
  firstName: ['firstname', 'recipientfirstname'],
  lastName: ['lastname', 'recipientlastname'],
  customerId: [
    'customerid',
    'userid',
    'externalid',
    'externalreference', // Qualtrics ExternalReference
    'externaldatareference', // Qualtrics legacy
  ],
  segment: ['segment'],
  language: ['language', 'lang', 'locale', 'userlanguage'],
  touchpoint: ['touchpoint'],
  meta: [
    'startdate',
    'startdateutc', // Typeform
    'stagedateutc', // Typeform
    'networkid', // Typeform
    'tags',
    'responsetype',
    'collectorid', // SurveyMonkey
    'ipaddress', // SurveyMonkey, Qualtrics IPAddress
    'status', // Qualtrics
    'progress',
    'durationinseconds',
    'finished',
    'locationlatitude',
    'locationlongitude',
    'distributionchannel',
    'responseset',
    'permalink', // Delighted
    'notes',
    'surveytype',
  ],
  attribute: [],
};

const PATTERNS: [Exclude<ColumnRole, 'answer'>, RegExp][] = [
  ['meta', /nps_?group/i], // Qualtrics' Promoter/Passive/Detractor column beside the score
  ['nps', /recommend|\bnps\b|net.?promoter/i],
  ['csat', /\bcsat\b|satisf/i],
  ['comment', /\bwhy\b|reason for|tell us more|anything else|improve|comment/i],
];

export interface Column {
  index: number;
  /** The header as written (with the question text of a second header row, when there is one). */
  title: string;
  role: ColumnRole;
}

/**
 * Gives each column a role: the mapping first, then the known export headers, then patterns on
 * the header and question text (each field taken by the first column that fits; a later column
 * that would fit the same field stays an answer).
 */
export function recognise(
  header: readonly string[],
  questions: readonly (string | undefined)[],
  mapping: ImportMapping = {},
  openEnded: ReadonlySet<number> = new Set(),
): Column[] {
  const taken = new Set<ColumnRole>();
  const roles: (ColumnRole | undefined)[] = header.map(() => undefined);
  // 1. The mapping: each named field takes the first column it names.
  for (const [field, names] of Object.entries(mapping) as [string, string[] | undefined][]) {
    if (!names?.length || field === 'attributes') continue;
    const wanted = names.map(normHeader);
    for (const w of wanted) {
      const i = header.findIndex((h, j) => roles[j] === undefined && normHeader(h) === w);
      if (i >= 0) {
        roles[i] = field as ColumnRole;
        taken.add(field as ColumnRole);
        break;
      }
    }
  }
  const attributes = new Set((mapping.attributes ?? []).map(normHeader));
  header.forEach((h, i) => {
    if (roles[i] === undefined && attributes.has(normHeader(h))) roles[i] = 'attribute';
  });
  // 2. Known headers, in each field's order of preference.
  for (const [role, names] of Object.entries(EXACT) as [Exclude<ColumnRole, 'answer'>, string[]][]) {
    for (const n of names) {
      if (taken.has(role) && role !== 'meta') break;
      const i = header.findIndex((h, j) => roles[j] === undefined && normHeader(h) === n);
      if (i < 0) continue;
      roles[i] = role;
      if (role !== 'meta') taken.add(role);
    }
    if (role === 'meta')
      header.forEach((h, j) => {
        if (roles[j] === undefined && names.includes(normHeader(h))) roles[j] = 'meta';
      });
  }
  // 3. Patterns on the header and the question text.
  header.forEach((h, i) => {
    if (roles[i] !== undefined) return;
    const text = `${h} ${questions[i] ?? ''}`;
    for (const [role, re] of PATTERNS) {
      if (role !== 'meta' && taken.has(role)) continue;
      if (!re.test(text)) continue;
      roles[i] = role;
      if (role !== 'meta') taken.add(role);
      return;
    }
  });
  // 4. An open-ended question the export marks as such is the comment when nothing else is.
  if (!taken.has('comment')) {
    const i = header.findIndex((_, j) => roles[j] === undefined && openEnded.has(j));
    if (i >= 0) roles[i] = 'comment';
  }
  return header.map((h, i) => ({
    index: i,
    title: questions[i] ? `${h} ${questions[i]}`.trim() : h,
    role: roles[i] ?? 'answer',
  }));
}

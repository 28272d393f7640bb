import { type FeedbackInput, FeedbackInputSchema, type FeedbackWarning } from '@closedloop/core';
import { z } from 'zod';

/**
 * Which survey fields hold what. Each entry lists field keys: a question's id, its ref/custom id
 * or its title, or a hidden field / custom variable name (matched without regard to case). Left
 * out, sensible defaults apply: an NPS-type question or one whose key mentions NPS or
 * "recommend"; a CSAT / "satisf…" question; as the comment, the tool's own comment field or the
 * first question the tool marks as open text (never any other answer; with `comment` mapped, only
 * the mapped fields); a hidden
 * field `email`, `name`, `customer_id`/`user_id`, `segment`, `language`/`lang`/`locale`.
 */
export const FieldMappingSchema = z.object({
  nps: z.array(z.string()).optional(),
  csat: z.array(z.string()).optional(),
  comment: z.array(z.string()).optional(),
  email: z.array(z.string()).optional(),
  name: z.array(z.string()).optional(),
  customerId: z.array(z.string()).optional(),
  segment: z.array(z.string()).optional(),
  language: z.array(z.string()).optional(),
  touchpoint: z.array(z.string()).optional(),
  /** Where the customer's consent to be contacted is (a yes/no answer, hidden field or column). */
  consent: z.array(z.string()).optional(),
  /** Hidden fields copied into `customer.attributes` (default: all that are not mapped elsewhere). */
  attributes: z.array(z.string()).optional(),
});
export type FieldMapping = z.input<typeof FieldMappingSchema>;

/** An answer as an adapter normalises it. */
export interface RawAnswer {
  /** Keys the mapping can name it by: id, ref, title… */
  keys: string[];
  title?: string;
  kind: 'number' | 'text' | 'email' | 'choice' | 'boolean' | 'other';
  value: string | number | boolean;
  /** The tool says this is an NPS (0–10) or CSAT question. */
  scale?: 'nps' | 'csat';
  /**
   * The tool marks this question as open text (Typeform `long_text`, Formbricks `openText`,
   * SurveyMonkey `open_ended`/`essay`, a Qualtrics text entry): without a `mapping.comment`, the
   * first such answer is the comment. Nothing else ever is.
   */
  openText?: boolean;
}

/** A survey response as an adapter normalises it, before mapping. */
export interface RawResponse {
  responseId: string;
  submittedAt?: string | undefined;
  answers: RawAnswer[];
  /** Hidden fields, custom variables, person properties: name → value. */
  hidden: Record<string, string>;
  /** What the tool states outright (Delighted's score, a contact's email…). */
  known?: {
    nps?: number | undefined;
    csat?: number | undefined;
    comment?: string | undefined;
    email?: string | undefined;
    name?: string | undefined;
    customerId?: string | undefined;
    language?: string | undefined;
    segment?: string | undefined;
    /** The tool's own id for the person, used only when nothing else identifies them (Delighted SMS). */
    fallbackCustomerId?: string | undefined;
  };
}

const DEFAULT_HIDDEN: Record<
  'email' | 'name' | 'customerId' | 'segment' | 'language' | 'touchpoint',
  string[]
> = {
  email: ['email', 'e-mail', 'email_address', 'recipientemail'],
  name: ['name', 'full_name', 'customer_name'],
  customerId: ['customer_id', 'customerid', 'user_id', 'userid', 'external_id', 'externaldatareference'],
  segment: ['segment'],
  language: ['language', 'lang', 'locale', 'userlanguage'],
  touchpoint: ['touchpoint'],
};

const DEFAULT_CONSENT = ['consent', 'contact_consent', 'may_contact', 'can_contact', 'contact_ok'];
const YES = new Set([
  'true',
  'yes',
  'y',
  '1',
  'si',
  'sí',
  'sì',
  'tak',
  'ja',
  'oui',
  'on',
  'accepted',
  'granted',
]);
const NO = new Set(['false', 'no', 'n', '0', 'nie', 'nein', 'non', 'off', 'declined', 'denied']);

/** A yes/no value as survey tools send it, in the seeds' languages; undefined when it is neither. */
export function parseConsent(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const v = norm(String(value));
  return YES.has(v) ? true : NO.has(v) ? false : undefined;
}

const norm = (s: string) => s.trim().toLowerCase();

function toNumber(v: string | number | boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function normaliseLanguage(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  const t = tag.trim().replace(/_/g, '-');
  const [base, ...rest] = t.split('-');
  if (!base || !/^[A-Za-z]{2,3}$/.test(base)) return undefined;
  const out = [base.toLowerCase(), ...rest].join('-');
  return /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(out) ? out : base.toLowerCase();
}

export type MappingResult =
  | { success: true; data: FeedbackInput; warnings: FeedbackWarning[] }
  | { success: false; error: string; issues: { path: string; message: string }[] };

export interface MapOptions {
  /**
   * `drop` (webhooks): a customer field that is not valid (an email like `"ana@"`, a name too long…)
   * is dropped with a warning on the feedback, so the score and comment are kept. `refuse`
   * (default, imports): the response is refused, naming the field.
   */
  invalidFields?: 'drop' | 'refuse';
}

const EmailSchema = z.email().max(320);

/** Checks one customer-side field; a bad one is dropped with a warning (or refused). */
function checkField(
  field: string,
  value: string | undefined,
  valid: (v: string) => boolean,
  message: string,
  warnings: FeedbackWarning[],
): string | undefined {
  if (value === undefined || valid(value)) return value;
  warnings.push({ field, message });
  return undefined;
}

/**
 * Maps a normalised response into `FeedbackInput` and checks it against core's schema; a
 * failure names the field. Customers with neither email nor id become anonymous (R2).
 */
export function mapResponse(
  tool: string,
  raw: RawResponse,
  mapping: FieldMapping = {},
  options: MapOptions = {},
): MappingResult {
  const warnings: FeedbackWarning[] = [];
  const used = new Set<RawAnswer>();
  const usedHidden = new Set<string>();
  const hiddenEntries = Object.entries(raw.hidden);

  const byKeys = (names: string[] | undefined): RawAnswer | undefined => {
    if (!names?.length) return undefined;
    const wanted = new Set(names.map(norm));
    return raw.answers.find((a) => a.keys.some((k) => wanted.has(norm(k))));
  };
  const hiddenByKeys = (names: string[] | undefined): string | undefined => {
    if (!names?.length) return undefined;
    const wanted = new Set(names.map(norm));
    const hit = hiddenEntries.find(([k, v]) => wanted.has(norm(k)) && v !== '');
    if (hit) usedHidden.add(hit[0]);
    return hit?.[1];
  };
  const take = (a: RawAnswer | undefined) => {
    if (a) used.add(a);
    return a;
  };
  const field = (names: string[] | undefined): string | undefined => {
    const a = take(byKeys(names));
    if (a) return String(a.value);
    return hiddenByKeys(names);
  };

  const mentions = (a: RawAnswer, re: RegExp) =>
    a.keys.some((k) => re.test(k)) || (a.title ? re.test(a.title) : false);
  const scoreAnswer = (names: string[] | undefined, scale: 'nps' | 'csat', re: RegExp, max: number) =>
    byKeys(names) ??
    raw.answers.find((a) => a.scale === scale) ??
    raw.answers.find((a) => {
      const n = toNumber(a.value);
      return n !== undefined && n <= max && mentions(a, re);
    });

  let nps = raw.known?.nps;
  const npsAnswer = take(
    mapping.nps
      ? byKeys(mapping.nps)
      : nps === undefined
        ? scoreAnswer(undefined, 'nps', /\bnps\b|recommend|net.?promoter/i, 10)
        : undefined,
  );
  if (npsAnswer) {
    nps = toNumber(npsAnswer.value);
    if (nps === undefined) return refused('nps', 'the answer is not a number');
  }

  let csat = raw.known?.csat;
  const csatAnswer = take(
    mapping.csat
      ? byKeys(mapping.csat)
      : csat === undefined
        ? scoreAnswer(undefined, 'csat', /csat|satisf/i, 5)
        : undefined,
  );
  if (csatAnswer) {
    csat = toNumber(csatAnswer.value);
    if (csat === undefined) return refused('csat', 'the answer is not a number');
  }

  // A comment is never guessed: an explicit mapping is the only source; otherwise the tool's own
  // comment field, or the first answer to a question the tool marks as open text.
  const comment = mapping.comment
    ? field(mapping.comment)
    : (raw.known?.comment ??
      take(
        raw.answers.find((a) => !used.has(a) && a.openText === true && String(a.value).trim() !== ''),
      )?.value?.toString());

  const rawEmail =
    (mapping.email ? field(mapping.email) : undefined) ??
    raw.known?.email ??
    take(raw.answers.find((a) => a.kind === 'email'))?.value?.toString() ??
    hiddenByKeys(DEFAULT_HIDDEN.email);
  const rawName = field(mapping.name) ?? raw.known?.name ?? hiddenByKeys(DEFAULT_HIDDEN.name);
  const rawCustomerId =
    field(mapping.customerId) ?? raw.known?.customerId ?? hiddenByKeys(DEFAULT_HIDDEN.customerId);
  const rawSegment = field(mapping.segment) ?? raw.known?.segment ?? hiddenByKeys(DEFAULT_HIDDEN.segment);
  const rawLanguage = field(mapping.language) ?? raw.known?.language ?? hiddenByKeys(DEFAULT_HIDDEN.language);
  const rawTouchpoint = field(mapping.touchpoint) ?? hiddenByKeys(DEFAULT_HIDDEN.touchpoint);

  // In `drop` mode a bad customer-side field is dropped with a warning (never repeating the value,
  // which may be personal data); in `refuse` mode it stays and the schema below refuses it.
  const drop = options.invalidFields === 'drop';
  const keep = (
    f: string,
    v: string | undefined,
    valid: (v: string) => boolean,
    message: string,
  ): string | undefined => (drop ? checkField(f, v?.trim() || undefined, valid, message, warnings) : v);
  const email = keep(
    'customer.email',
    rawEmail,
    (v) => EmailSchema.safeParse(v).success,
    'not a valid email address; the customer is kept without it',
  );
  const name = keep('customer.name', rawName, (v) => v.length <= 200, 'longer than 200 characters; dropped');
  const customerId = keep(
    'customer.id',
    // The tool's own person id identifies the customer only when nothing else does.
    rawCustomerId ?? (email?.trim() ? undefined : raw.known?.fallbackCustomerId),
    (v) => v.length <= 200,
    'longer than 200 characters; dropped',
  );
  const segment = keep(
    'customer.segment',
    rawSegment,
    (v) => v.length <= 100,
    'longer than 100 characters; dropped',
  );
  const language = normaliseLanguage(rawLanguage);
  if (drop && rawLanguage?.trim() && !language)
    warnings.push({ field: 'language', message: 'not a language tag such as "es" or "en-GB"; dropped' });
  const touchpoint = keep(
    'touchpoint',
    rawTouchpoint,
    (v) => v.length <= 100,
    'longer than 100 characters; dropped',
  );
  const consentAnswer = take(byKeys(mapping.consent ?? DEFAULT_CONSENT));
  const consentRaw = consentAnswer ? consentAnswer.value : hiddenByKeys(mapping.consent ?? DEFAULT_CONSENT);
  const consent = consentRaw === undefined ? undefined : parseConsent(consentRaw);
  if (consentRaw !== undefined && consent === undefined) {
    const message = 'not a yes/no value; send true/false, yes/no or 1/0';
    if (drop) warnings.push({ field: 'consent', message: `${message}; dropped` });
    else
      return {
        success: false,
        error: `consent: "${String(consentRaw).slice(0, 40)}" is ${message}`,
        issues: [{ path: 'consent', message }],
      };
  }

  const attrNames = mapping.attributes ? new Set(mapping.attributes.map(norm)) : undefined;
  const attributes: Record<string, string> = {};
  for (const [k, v] of hiddenEntries) {
    if (usedHidden.has(k)) continue;
    if (attrNames ? attrNames.has(norm(k)) : true) attributes[k] = v;
  }

  const identified = Boolean(email?.trim() || customerId?.trim());
  const customer = identified
    ? {
        ...(email?.trim() ? { email: email.trim() } : {}),
        ...(customerId?.trim() ? { id: customerId.trim() } : {}),
        ...(name?.trim() ? { name: name.trim() } : {}),
        ...(segment ? { segment } : {}),
        ...(Object.keys(attributes).length ? { attributes } : {}),
      }
    : {
        anonymous: true,
        ...(segment ? { segment } : {}),
        ...(Object.keys(attributes).length ? { attributes } : {}),
      };

  const answers = raw.answers
    .filter((a) => !used.has(a))
    .slice(0, 200)
    .map((a) => ({
      question: (a.title ?? a.keys[0] ?? 'question').slice(0, 500),
      answer: typeof a.value === 'string' ? a.value.slice(0, 10_000) : a.value,
    }));

  const at = raw.submittedAt ? Date.parse(raw.submittedAt) : Number.NaN;
  const receivedAt = Number.isNaN(at) ? undefined : new Date(at).toISOString();
  if (drop && raw.submittedAt && !receivedAt)
    warnings.push({
      field: 'receivedAt',
      message: 'the submission time is not a date; the time received is used',
    });
  const input = {
    source: { tool, responseId: raw.responseId },
    customer,
    ...(nps !== undefined ? { nps } : {}),
    ...(csat !== undefined ? { csat } : {}),
    ...(comment?.trim() ? { comment: comment.trim() } : {}),
    ...(answers.length ? { answers } : {}),
    ...(touchpoint ? { touchpoint } : {}),
    ...(language ? { language } : {}),
    ...(receivedAt ? { receivedAt } : {}),
    ...(warnings.length ? { warnings: warnings.slice(0, 50) } : {}),
    ...(consent !== undefined ? { consent } : {}),
  };
  const parsed = FeedbackInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message,
    }));
    return {
      success: false,
      error: issues.map((i) => `${i.path}: ${i.message}`)[0] ?? 'invalid feedback',
      issues,
    };
  }
  return { success: true, data: input as FeedbackInput, warnings };
}

function refused(path: string, message: string): MappingResult {
  return { success: false, error: `${path}: ${message}`, issues: [{ path, message }] };
}

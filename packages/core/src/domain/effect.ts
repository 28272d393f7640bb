import { z } from 'zod';
import { CaseSchema } from './case.ts';

export const RecipientSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  email: z.email(),
  language: z.string().optional(),
});
export type Recipient = z.output<typeof RecipientSchema>;

/** A case as effects carry it: everything but the comment thread and the log. */
export const CaseSummarySchema = CaseSchema.omit({ comments: true, audit: true });
export type CaseSummary = z.output<typeof CaseSummarySchema>;

export const ChangeSchema = z.object({
  field: z.string(),
  before: z.union([z.string(), z.number(), z.null()]).optional(),
  after: z.union([z.string(), z.number(), z.null()]).optional(),
});
export type Change = z.output<typeof ChangeSchema>;

const Base = {
  /** Idempotency key: the same effect always has the same key, so it is delivered at most once. */
  key: z.string().min(1),
  loopId: z.string(),
  caseId: z.string().optional(),
  createdAt: z.iso.datetime({ offset: true }),
};

/** Tell people about a case (seed 001, R13): on creation, on every update, on an SLA breach. */
const NotifyEffectSchema = z.object({
  ...Base,
  type: z.literal('notify'),
  reason: z.enum(['caseCreated', 'caseUpdated', 'slaBreached']),
  to: z.array(RecipientSchema).min(1),
  cc: z.array(RecipientSchema),
  case: CaseSummarySchema,
  changes: z.array(ChangeSchema),
  /** Set for a new comment. */
  comment: z.string().optional(),
  actor: z.string(),
});

/** A rule's alert to a channel (R7, R16): email, Slack, Teams, webhook, … */
const AlertEffectSchema = z.object({
  ...Base,
  type: z.literal('alert'),
  ruleId: z.string(),
  channel: z.string(),
  template: z.string(),
  recipients: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
  summary: z.object({
    feedbackId: z.string(),
    nps: z.int().optional(),
    csat: z.int().optional(),
    comment: z.string().optional(),
    segment: z.string().optional(),
    topics: z.array(z.string()),
    flags: z.array(z.string()),
  }),
});

/** A message to the customer (R18, R19): what was done, or a thank-you. */
const InformCustomerEffectSchema = z.object({
  ...Base,
  type: z.literal('informCustomer'),
  template: z.string(),
  to: RecipientSchema,
  language: z.string(),
  vars: z.record(z.string(), z.string()),
  gesture: z.object({ description: z.string(), code: z.string().optional() }).optional(),
});

/** Survey the customer again after the case was closed (R20). */
const SendResurveyEffectSchema = z.object({
  ...Base,
  type: z.literal('sendResurvey'),
  to: RecipientSchema,
  language: z.string(),
  originalNps: z.int().optional(),
});

/** Mirror a case into a CRM or helpdesk (R25). */
const SyncCaseEffectSchema = z.object({
  ...Base,
  type: z.literal('syncCase'),
  change: z.enum(['created', 'updated']),
  case: CaseSummarySchema,
});

export const EffectSchema = z.discriminatedUnion('type', [
  NotifyEffectSchema,
  AlertEffectSchema,
  InformCustomerEffectSchema,
  SendResurveyEffectSchema,
  SyncCaseEffectSchema,
]);
export type Effect = z.output<typeof EffectSchema>;
export type EffectType = Effect['type'];
export type EffectOf<T extends EffectType> = Extract<Effect, { type: T }>;
export const EFFECT_TYPES = ['notify', 'alert', 'informCustomer', 'sendResurvey', 'syncCase'] as const;

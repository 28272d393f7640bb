import { z } from 'zod';
import { CASE_STATUSES, PRIORITIES } from './constants.ts';

export { CASE_STATUSES, PRIORITIES } from './constants.ts';

export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.output<typeof PrioritySchema>;

export const CaseStatusSchema = z.enum(CASE_STATUSES);
export type CaseStatus = z.output<typeof CaseStatusSchema>;

/** Who did something: a person id from the directory, or `system` for the loop itself. */
export const ActorSchema = z.string().min(1).max(200);
export type Actor = z.output<typeof ActorSchema>;

export const CommentSchema = z.object({
  id: z.string(),
  author: ActorSchema,
  body: z.string().min(1).max(20_000),
  at: z.iso.datetime({ offset: true }),
});
export type Comment = z.output<typeof CommentSchema>;

const AuditValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One line of a case's log tab (seed 001): who changed what, when, from what to what. */
export const AuditEntrySchema = z.object({
  at: z.iso.datetime({ offset: true }),
  actor: ActorSchema,
  action: z.enum([
    'created',
    'status',
    'priority',
    'segment',
    'owner',
    'comment',
    'resolved',
    'slaBreached',
    'customerInformed',
    'resurveyed',
    'feedbackUpdated',
    'erased',
    'suppressed',
  ]),
  field: z.string().optional(),
  before: AuditValue.optional(),
  after: AuditValue.optional(),
  note: z.string().optional(),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export const SlaKindSchema = z.enum(['firstResponse', 'resolution']);
export type SlaKind = z.output<typeof SlaKindSchema>;

const CaseSlaSchema = z.object({
  firstResponseDue: z.iso.datetime({ offset: true }).optional(),
  resolutionDue: z.iso.datetime({ offset: true }).optional(),
  firstRespondedAt: z.iso.datetime({ offset: true }).optional(),
  breaches: z.array(z.object({ kind: SlaKindSchema, at: z.iso.datetime({ offset: true }) })),
  /** How many escalation steps have run. */
  escalationLevel: z.int().nonnegative(),
});
export type CaseSla = z.output<typeof CaseSlaSchema>;

/** A case (ticket) for one piece of feedback (R9–R12). */
export const CaseSchema = z.object({
  id: z.string(),
  loopId: z.string(),
  feedbackId: z.string(),
  /** The customer's email; absent for a customer known only by id (e.g. an SMS respondent). */
  customerEmail: z.email().optional(),
  /** The customer's id at the survey tool or CRM, when the feedback carried one. */
  customerId: z.string().optional(),
  customerName: z.string().optional(),
  segment: z.string(),
  owner: z.string(),
  priority: PrioritySchema,
  status: CaseStatusSchema,
  /** The customer's comment, copied from the feedback (seed 001: a required field). */
  feedbackComment: z.string(),
  nps: z.int().optional(),
  csat: z.int().optional(),
  language: z.string().optional(),
  rootCause: z.string().optional(),
  comments: z.array(CommentSchema),
  audit: z.array(AuditEntrySchema),
  sla: CaseSlaSchema,
  /** Ids of the rules that opened and routed this case. */
  ruleIds: z.array(z.string()),
  /** When the customer answered (the feedback's date; earlier than `createdAt` for an imported wave). */
  answeredAt: z.iso.datetime({ offset: true }).optional(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  resolvedAt: z.iso.datetime({ offset: true }).optional(),
  customerInformedAt: z.iso.datetime({ offset: true }).optional(),
  version: z.int().nonnegative(),
});
export type Case = z.output<typeof CaseSchema>;

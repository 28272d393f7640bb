import { z } from 'zod';
import { BusinessCalendarSchema } from './calendar.ts';
import { PrioritySchema } from './case.ts';
import { ClassificationSchema } from './classification.ts';
import type { Feedback } from './feedback.ts';
import type { SegmentTree } from './people.ts';

/** Who a notification goes to: the owner, a segment's managers, the parent's managers, or a person id. */
export const RecipientRefSchema = z.union([
  z.enum(['owner', 'segmentManagers', 'parentManagers']),
  z.string().regex(/^person:.+/, 'name a person as "person:<id>"'),
]);
export type RecipientRef = z.output<typeof RecipientRefSchema>;

/** One step of an escalation chain, run when an SLA is breached (R17). */
export const EscalationStepSchema = z.object({
  raisePriority: z.boolean().default(true),
  /** Set the status to escalated and move the case to the parent segment. */
  escalate: z.boolean().default(false),
  notify: z.array(RecipientRefSchema).default(['owner', 'segmentManagers']),
  /** Re-arm the breached timer so the next step runs after this many minutes. */
  rearmMinutes: z.number().positive().optional(),
});
export type EscalationStep = z.output<typeof EscalationStepSchema>;

export const SlaPolicySchema = z.object({
  firstResponseMinutes: z.number().positive().optional(),
  resolutionMinutes: z.number().positive().optional(),
  calendar: BusinessCalendarSchema.optional(),
});
export type SlaPolicy = z.output<typeof SlaPolicySchema>;

export const AlertSchema = z.object({
  ruleId: z.string(),
  channel: z.string().min(1),
  template: z.string().min(1),
  recipients: z.array(z.string().min(1)).default([]),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type Alert = z.output<typeof AlertSchema>;

/** What the rules decided about one piece of feedback. */
export const DecisionSchema = z.object({
  ruleSetVersion: z.string().min(1),
  classification: ClassificationSchema,
  /** Absent: no case is opened (the loop goes straight to learn). */
  case: z
    .object({
      segment: z.string().min(1),
      /** A person id; defaults to the segment's first manager. */
      owner: z.string().min(1).optional(),
      priority: PrioritySchema,
    })
    .optional(),
  alerts: z.array(AlertSchema).default([]),
  sla: SlaPolicySchema.optional(),
  escalation: z.array(EscalationStepSchema).optional(),
  /** Send the customer a message right away (a thank-you for promoters, R19). */
  thankCustomer: z.object({ template: z.string().min(1) }).optional(),
  /** After the customer is informed, survey them again after this many days (R20). */
  resurvey: z.object({ afterDays: z.number().positive() }).optional(),
  /** Ids of the rules that fired, in order. */
  firedRules: z.array(z.string()).default([]),
});
export type Decision = z.output<typeof DecisionSchema>;
export type DecisionInput = z.input<typeof DecisionSchema>;

export interface DecisionContext {
  segments: SegmentTree;
  now: Date;
}

/**
 * Classifies and routes feedback. `@closedloop/rules` implements it from JSON rule files;
 * {@link defaultDecider} works without any rules.
 */
export interface Decider {
  /** Identifies the rule set; recorded with every decision. */
  readonly version: string;
  decide(feedback: Feedback, context: DecisionContext): DecisionInput | Promise<DecisionInput>;
}

export { DEFAULT_ESCALATION } from './constants.ts';

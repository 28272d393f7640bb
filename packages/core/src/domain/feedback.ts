import { z } from 'zod';

/** The customer behind a piece of feedback: identified by id and/or email, or explicitly anonymous. */
export const CustomerSchema = z
  .object({
    anonymous: z.boolean().default(false).describe('true: learn from it, never follow up (R2)'),
    id: z.string().min(1).max(200).optional(),
    email: z.email().max(320).optional(),
    name: z.string().max(200).optional(),
    /** The customer's segment id, when the survey tool or CRM knows it. */
    segment: z.string().min(1).max(100).optional(),
    /** Customer value (e.g. yearly revenue) for value-based routing. */
    value: z.number().nonnegative().optional(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.anonymous && (c.id !== undefined || c.email !== undefined || c.name !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['anonymous'],
        message: 'anonymous feedback must not carry id, email or name: drop them or set anonymous to false',
      });
    }
    if (!c.anonymous && c.id === undefined && c.email === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: 'identify the customer with an email or an id, or set anonymous: true',
      });
    }
  });
export type Customer = z.output<typeof CustomerSchema>;

export const AnswerSchema = z
  .object({
    question: z.string().min(1).max(500),
    answer: z.union([z.string().max(10_000), z.number(), z.boolean()]),
  })
  .strict();
export type Answer = z.output<typeof AnswerSchema>;

/** Where a response came from: the survey tool and its own response id (the idempotency key). */
export const SourceSchema = z
  .object({
    tool: z.string().min(1).max(100),
    responseId: z.string().min(1).max(300),
  })
  .strict();
export type Source = z.output<typeof SourceSchema>;

/**
 * Something the intake noticed and worked around without losing the answer, e.g. an invalid email
 * in a hidden field that was dropped. Names the field; never repeats the value (it may be PII).
 */
export const FeedbackWarningSchema = z.object({
  field: z.string().min(1).max(200),
  message: z.string().min(1).max(500),
});
export type FeedbackWarning = z.output<typeof FeedbackWarningSchema>;

/** What `capture()` accepts: one survey answer (R1, R3). */
export const FeedbackInputSchema = z
  .object({
    source: SourceSchema,
    customer: CustomerSchema,
    nps: z.int().min(0).max(10).optional().describe('Net Promoter Score answer, 0–10'),
    csat: z.int().min(1).max(5).optional().describe('Customer satisfaction answer, 1–5'),
    comment: z.string().max(20_000).optional(),
    answers: z.array(AnswerSchema).max(200).optional(),
    touchpoint: z.string().min(1).max(100).optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'use a BCP 47 tag such as "es", "it", "pl" or "en-GB"')
      .optional(),
    receivedAt: z.iso.datetime({ offset: true }).optional(),
    /** Set when this answer is the follow-up survey of an earlier loop (R20). */
    inReplyTo: z.string().min(1).optional(),
    /** Fields the intake dropped or could not read, kept with the feedback (visible in the API). */
    warnings: z.array(FeedbackWarningSchema).max(50).optional(),
    /**
     * Whether the customer agreed to be contacted about this answer (a survey's consent question).
     * Absent: unknown; the customer may be contacted unless the program requires consent.
     */
    consent: z.boolean().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.nps === undefined && f.csat === undefined && !f.comment && !f.answers?.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['nps'],
        message: 'feedback needs at least one of nps, csat, comment or answers',
      });
    }
  });
export type FeedbackInput = z.input<typeof FeedbackInputSchema>;

/** Feedback as stored: the input plus its id and the time it was received. */
export const FeedbackSchema = z.object({
  ...FeedbackInputSchema.shape,
  id: z.string(),
  receivedAt: z.iso.datetime({ offset: true }),
  /** Set when the customer's personal data was erased (GDPR art. 17): the scores stay. */
  erasedAt: z.iso.datetime({ offset: true }).optional(),
});
export type Feedback = z.output<typeof FeedbackSchema>;

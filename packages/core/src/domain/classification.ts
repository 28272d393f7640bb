import { z } from 'zod';

export const NpsCategorySchema = z.enum(['promoter', 'passive', 'detractor']);
export type NpsCategory = z.output<typeof NpsCategorySchema>;
export const CsatCategorySchema = z.enum(['satisfied', 'neutral', 'dissatisfied']);
export type CsatCategory = z.output<typeof CsatCategorySchema>;
export const FlagSchema = z.enum(['red', 'yellow']);
export type Flag = z.output<typeof FlagSchema>;

/** What the loop learned about one answer (R6, R7, R8). */
export const ClassificationSchema = z.object({
  npsCategory: NpsCategorySchema.optional(),
  csatCategory: CsatCategorySchema.optional(),
  flags: z.array(FlagSchema).default([]),
  topics: z.array(z.string().min(1)).default([]),
  /** The customer's segment, as classified (may differ from the one the survey tool sent). */
  segment: z.string().min(1).optional(),
  /** A recency/frequency/amount band or any value tier the rules assign. */
  valueBand: z.string().min(1).optional(),
});
export type Classification = z.output<typeof ClassificationSchema>;

export { csatCategory, npsCategory } from './scores.ts';

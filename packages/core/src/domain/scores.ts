// Score bands (R6). No zod: the loop machine's entry exports these.
export type NpsCategory = 'promoter' | 'passive' | 'detractor';
export type CsatCategory = 'satisfied' | 'neutral' | 'dissatisfied';

/** NPS category of a 0–10 score: promoter 9–10, passive 7–8, detractor 0–6 (R6). */
export function npsCategory(score: number): NpsCategory {
  if (score >= 9) return 'promoter';
  if (score >= 7) return 'passive';
  return 'detractor';
}

/** CSAT category of a 1–5 score: satisfied 4–5, neutral 3, dissatisfied 1–2 (R6). */
export function csatCategory(score: number): CsatCategory {
  if (score >= 4) return 'satisfied';
  if (score === 3) return 'neutral';
  return 'dissatisfied';
}

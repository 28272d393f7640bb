import { createHash } from 'node:crypto';
import type { Source } from '../domain/feedback.ts';

/**
 * Ids derived from the survey tool and its response id, so the same response always maps to
 * the same loop, feedback and case (idempotent capture, in every runtime).
 */
export function idsFor(source: Source): { loopId: string; feedbackId: string; caseId: string } {
  const hash = createHash('sha256').update(`${source.tool}\u0000${source.responseId}`).digest('hex');
  return {
    loopId: `loop_${hash.slice(0, 24)}`,
    feedbackId: `fb_${hash.slice(0, 24)}`,
    caseId: `CS-${hash.slice(0, 12).toUpperCase()}`,
  };
}

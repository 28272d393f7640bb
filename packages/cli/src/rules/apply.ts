import type { EmbeddedClosedLoop, SegmentTree } from '@closedloop/core';
import { type OpenCaseView, planRetroactive, type RetroactiveChange, type RuleSet } from '@closedloop/rules';

/** One retroactive change and whether it was applied. */
export interface AppliedChange extends RetroactiveChange {
  applied: boolean;
  error?: string;
}

/**
 * Re-decides the open cases of a loop under a rule set and re-routes / re-prioritises them through
 * the case API, so each change lands in the case's log (named `actor`, with the rules as the note).
 * With `dryRun` nothing changes. Used by `closedloop rules apply` and `POST /v1/rules/apply`.
 *
 * @example
 * const changes = await applyToOpenCases(loop, ruleSet, { segments, actor: 'ana' });
 */
export async function applyToOpenCases(
  loop: Pick<EmbeddedClosedLoop, 'cases' | 'store'>,
  ruleSet: RuleSet,
  options: { segments: SegmentTree; actor: string; dryRun?: boolean; now?: Date },
): Promise<{ checked: number; changes: AppliedChange[] }> {
  const open: OpenCaseView[] = [];
  // Bounded: at most 100 000 open cases per run.
  for (let offset = 0; offset < 100_000; offset += 200) {
    const page = await loop.cases.list({ status: ['new', 'open', 'escalated'], limit: 200, offset });
    for (const c of page.cases) {
      const feedback = await loop.store.getFeedback(c.feedbackId);
      if (feedback)
        open.push({ caseId: c.id, feedback, segment: c.segment, owner: c.owner, priority: c.priority });
    }
    if (offset + page.cases.length >= page.total || page.cases.length === 0) break;
  }
  const planned = planRetroactive(ruleSet, open, {
    segments: options.segments,
    ...(options.now ? { now: options.now } : {}),
  });
  const changes: AppliedChange[] = [];
  for (const change of planned) {
    if (options.dryRun) {
      changes.push({ ...change, applied: false });
      continue;
    }
    try {
      const opts = { actor: options.actor, note: change.reason };
      if (change.field === 'owner') await loop.cases.reassign(change.caseId, change.after!, opts);
      else await loop.cases.update(change.caseId, { [change.field]: change.after }, opts);
      changes.push({ ...change, applied: true });
    } catch (e) {
      changes.push({ ...change, applied: false, error: (e as Error).message });
    }
  }
  return { checked: open.length, changes };
}

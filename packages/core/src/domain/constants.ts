// Plain values the loop machine needs, kept free of zod so the machine loads fast anywhere
// (a Temporal workflow sandbox evaluates it for every workflow).
import type { EscalationStep } from './decision.ts';

export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const CASE_STATUSES = ['new', 'open', 'resolved', 'escalated'] as const;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The escalation chain used when a decision names none: warn, then escalate to the parent. */
export const DEFAULT_ESCALATION: readonly EscalationStep[] = [
  { raisePriority: true, escalate: false, notify: ['owner', 'segmentManagers'], rearmMinutes: 240 },
  { raisePriority: true, escalate: true, notify: ['owner', 'parentManagers'] },
];

import type { CaseSummary, Effect, EffectOf } from '@closedloop/core';
import { customerInWords } from './case-title.ts';

/** What a chat message about an effect says, before Slack or Teams formatting. */
export interface ChatMessage {
  /** One line: the notification's text fallback and title. */
  title: string;
  facts: { label: string; value: string }[];
  /** The customer's words (quoted). */
  quote?: string;
  /** Lines such as `status: new → open`. */
  changes: string[];
  comment?: string;
  link?: { label: string; url: string };
  footer: string;
}

function score(c: { nps?: number | undefined; csat?: number | undefined }): string | undefined {
  if (c.nps !== undefined) return `NPS ${c.nps}`;
  if (c.csat !== undefined) return `CSAT ${c.csat}`;
  return undefined;
}

function caseFacts(c: CaseSummary): ChatMessage['facts'] {
  const facts = [
    { label: 'Priority', value: c.priority },
    { label: 'Status', value: c.status },
    { label: 'Segment', value: c.segment },
    { label: 'Owner', value: c.owner },
    { label: 'Customer', value: customerInWords(c) },
  ];
  const s = score(c);
  if (s) facts.push({ label: 'Score', value: s });
  return facts;
}

function headline(c: CaseSummary): string {
  if (c.nps !== undefined)
    return c.nps <= 6 ? 'New detractor case' : c.nps <= 8 ? 'New passive case' : 'New promoter case';
  return 'New case';
}

/**
 * The chat message for an alert or a case notification; `null` for effects chat does not carry.
 * `channels` lists the alert channels this connector answers to.
 */
export function chatMessage(
  effect: Effect,
  opts: { channels: readonly string[]; caseUrl?: ((caseId: string) => string) | undefined },
): ChatMessage | null {
  if (effect.type === 'alert') return alertMessage(effect, opts.channels);
  if (effect.type === 'notify') return notifyMessage(effect, opts.caseUrl);
  return null;
}

function alertMessage(e: EffectOf<'alert'>, channels: readonly string[]): ChatMessage | null {
  if (!channels.includes(e.channel)) return null;
  const s = score(e.summary);
  const facts: ChatMessage['facts'] = [];
  if (s) facts.push({ label: 'Score', value: s });
  if (e.summary.segment) facts.push({ label: 'Segment', value: e.summary.segment });
  if (e.summary.topics.length) facts.push({ label: 'Topics', value: e.summary.topics.join(', ') });
  if (e.summary.flags.length) facts.push({ label: 'Flags', value: e.summary.flags.join(', ') });
  if (e.caseId) facts.push({ label: 'Case', value: e.caseId });
  const where = [e.summary.segment, s].filter(Boolean).join(', ');
  return {
    title: `Alert ${e.ruleId}${where ? `: ${where}` : ''}`,
    facts,
    ...(e.summary.comment ? { quote: e.summary.comment } : {}),
    changes: [],
    footer: `feedback ${e.summary.feedbackId} · rule ${e.ruleId}`,
  };
}

function notifyMessage(e: EffectOf<'notify'>, caseUrl?: (caseId: string) => string): ChatMessage {
  const c = e.case;
  const title =
    e.reason === 'caseCreated'
      ? `[Case ${c.id}] ${headline(c)}: priority ${c.priority}, segment ${c.segment}`
      : e.reason === 'slaBreached'
        ? `[Case ${c.id}] SLA breached: priority ${c.priority}, segment ${c.segment}`
        : `[Case ${c.id}] Updated by ${e.actor}`;
  return {
    title,
    facts: caseFacts(c),
    quote: c.feedbackComment,
    changes: e.changes.map((ch) => `${ch.field}: ${ch.before ?? '—'} → ${ch.after ?? '—'}`),
    ...(e.comment ? { comment: e.comment } : {}),
    ...(caseUrl ? { link: { label: 'Open case', url: caseUrl(c.id) } } : {}),
    footer: `loop ${e.loopId} · ${e.reason}`,
  };
}

/**
 * The case link of a `caseUrl` template with `{{caseId}}`, or `undefined` without a template.
 *
 * @example
 * caseLink('https://cx.example.com/cases/{{caseId}}')?.('CS-1042'); // 'https://cx.example.com/cases/CS-1042'
 */
export function caseLink(template: string | undefined): ((caseId: string) => string) | undefined {
  if (!template) return undefined;
  return (caseId) => template.replace(/\{\{\s*caseId\s*\}\}/g, encodeURIComponent(caseId));
}

import {
  type CaseSummary,
  DeliveryError,
  type Effect,
  type EffectOf,
  type Recipient,
} from '@closedloop/core';
import { customerInWords } from '../case-title.ts';
import { escapeHtml, renderTemplate, type TemplateVars, textToHtml } from '../render.ts';
import { type EmailTemplates, LABELS, type Labels, type MessageTemplate, pickLanguage } from './templates.ts';

export interface Address {
  name?: string;
  address: string;
}

/** What the connector sends for one effect, before MIME encoding. */
export interface ComposedEmail {
  to: Address[];
  cc: Address[];
  subject: string;
  text: string;
  html: string;
  language: string;
  /** The template used. */
  template: string;
  /** True for mail to a customer (gets `List-Unsubscribe`). */
  toCustomer: boolean;
}

export interface ComposeOptions {
  templates: EmailTemplates;
  /** A link to the case in your console, shown in staff mail. */
  caseUrl?: ((caseId: string) => string) | undefined;
  /** The link a re-survey mail points to. */
  resurveyUrl: (effect: EffectOf<'sendResurvey'>) => string;
}

function address(r: Recipient): Address {
  return r.name ? { name: r.name, address: r.email } : { address: r.email };
}

function labelsFor(lang: string): Labels {
  return (LABELS[lang] ?? LABELS.en) as Labels;
}

function scoreOf(c: { nps?: number | undefined; csat?: number | undefined }): string {
  if (c.nps !== undefined) return `NPS ${c.nps}`;
  if (c.csat !== undefined) return `CSAT ${c.csat}`;
  return '';
}

function headline(c: CaseSummary, labels: Labels): string {
  if (c.nps !== undefined) {
    if (c.nps <= 6) return labels.headline.detractor;
    if (c.nps <= 8) return labels.headline.passive;
    return labels.headline.promoter;
  }
  if (c.csat !== undefined && c.csat <= 2) return labels.headline.detractor;
  return labels.headline.other;
}

function label(field: string, value: string | number | null | undefined, labels: Labels): string {
  if (value === null || value === undefined || value === '') return '—';
  const s = String(value);
  if (field === 'priority') return labels.priority[s] ?? s;
  if (field === 'status') return labels.status[s] ?? s;
  return s;
}

function caseVars(
  c: CaseSummary,
  labels: Labels,
  caseUrl: ComposeOptions['caseUrl'],
): Record<string, string> {
  return {
    caseId: c.id,
    headline: headline(c, labels),
    priority: label('priority', c.priority, labels),
    status: label('status', c.status, labels),
    segment: c.segment,
    owner: c.owner,
    customerEmail: c.customerEmail ?? '',
    customer: customerInWords(c),
    customerName: c.customerName ?? '',
    feedbackComment: c.feedbackComment,
    score: scoreOf(c),
    rootCause: c.rootCause ?? '',
    firstResponseDue: c.sla.firstResponseDue ?? '',
    resolutionDue: c.sla.resolutionDue ?? '',
    caseUrl: caseUrl ? caseUrl(c.id) : '',
  };
}

/** Unique addresses, `to` first; anyone already in `to` is dropped from `cc`. */
function dedupe(to: Address[], cc: Address[]): { to: Address[]; cc: Address[] } {
  const seen = new Set<string>();
  const keep = (list: Address[]) =>
    list.filter((a) => {
      const k = a.address.toLowerCase();
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  return { to: keep(to), cc: keep(cc) };
}

function findTemplate(templates: EmailTemplates, lang: string, name: string): MessageTemplate | undefined {
  return templates[lang]?.[name] ?? templates.en?.[name];
}

function requireTemplate(templates: EmailTemplates, lang: string, name: string): MessageTemplate {
  const t = findTemplate(templates, lang, name);
  if (!t) {
    const known = Object.keys(templates[lang] ?? templates.en ?? {}).join(', ');
    throw new DeliveryError(
      `email: no template "${name}" for language "${lang}" (known: ${known}); add it with the templates option`,
      { retryable: false, reason: `no email template "${name}" for language "${lang}" (known: ${known})` },
    );
  }
  return t;
}

const URL_IN_HTML = /https?:\/\/[^\s<]+[^\s<.,;:!?)]/g;

function render(
  t: MessageTemplate,
  vars: TemplateVars,
  lang: string,
): { subject: string; text: string; html: string } {
  const subject = renderTemplate(t.subject, vars)
    .replace(/\s+/g, ' ')
    .replace(/[\s:]+$/, '')
    .trim();
  const text = `${renderTemplate(t.text, vars)
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
  const body = t.html
    ? renderTemplate(t.html, vars, escapeHtml)
    : textToHtml(text).replace(URL_IN_HTML, (url) => `<a href="${url}">${url}</a>`);
  const html = `<!doctype html>\n<html lang="${escapeHtml(lang)}">\n<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body style="font-family: sans-serif; line-height: 1.5">\n${body}\n</body>\n</html>\n`;
  return { subject, text, html };
}

function composeNotify(e: EffectOf<'notify'>, opts: ComposeOptions): ComposedEmail {
  const lang = pickLanguage(e.to[0]?.language, Object.keys(opts.templates));
  const labels = labelsFor(lang);
  const name = e.reason;
  const changes = e.changes
    .map(
      (c) =>
        `- ${c.field}: ${label(c.field, c.before, labels)} ${labels.arrow} ${label(c.field, c.after, labels)}`,
    )
    .join('\n');
  const summaryParts = e.changes.map(
    (c) =>
      `${c.field} ${label(c.field, c.before, labels)} ${labels.arrow} ${label(c.field, c.after, labels)}`,
  );
  if (e.comment) summaryParts.push(labels.newComment);
  const lastBreach = e.case.sla.breaches.at(-1);
  const vars: TemplateVars = {
    ...caseVars(e.case, labels, opts.caseUrl),
    actor: e.actor,
    changes,
    changeSummary: summaryParts.join(', '),
    comment: e.comment ?? '',
    breach: lastBreach ? labels.sla[lastBreach.kind] : '',
  };
  const out = render(requireTemplate(opts.templates, lang, name), vars, lang);
  const { to, cc } = dedupe(e.to.map(address), e.cc.map(address));
  return { ...out, to, cc, language: lang, template: name, toCustomer: false };
}

function composeAlert(e: EffectOf<'alert'>, opts: ComposeOptions): ComposedEmail | null {
  if (e.channel !== 'email') return null;
  const to = dedupe(
    e.recipients.filter((r) => r.includes('@')).map((r) => ({ address: r.trim() })),
    [],
  ).to;
  if (to.length === 0) {
    const reason = `alert of rule "${e.ruleId}" has no email address among its ${e.recipients.length} recipient(s): name people of the directory by id, or write addresses`;
    throw new DeliveryError(`email: ${reason}`, { retryable: false, reason });
  }
  const langParam = typeof e.params.language === 'string' ? e.params.language : undefined;
  const lang = pickLanguage(langParam, Object.keys(opts.templates));
  const name = findTemplate(opts.templates, lang, e.template) ? e.template : 'alert';
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.params)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = String(v);
  }
  const vars: TemplateVars = {
    ...params,
    ruleId: e.ruleId,
    feedbackId: e.summary.feedbackId,
    caseId: e.caseId ?? '',
    score: scoreOf(e.summary),
    segment: e.summary.segment ?? '',
    comment: e.summary.comment ?? '',
    topics: e.summary.topics.join(', '),
    flags: e.summary.flags.join(', '),
  };
  const out = render(requireTemplate(opts.templates, lang, name), vars, lang);
  return { ...out, to, cc: [], language: lang, template: name, toCustomer: false };
}

function composeInform(e: EffectOf<'informCustomer'>, opts: ComposeOptions): ComposedEmail {
  const lang = pickLanguage(e.language, Object.keys(opts.templates));
  const vars: TemplateVars = {
    customerName: e.to.name ?? '',
    caseId: e.caseId ?? '',
    ...e.vars,
    gestureDescription: e.gesture?.description ?? '',
    gestureCode: e.gesture?.code ?? '',
  };
  const out = render(requireTemplate(opts.templates, lang, e.template), vars, lang);
  return { ...out, to: [address(e.to)], cc: [], language: lang, template: e.template, toCustomer: true };
}

function composeResurvey(e: EffectOf<'sendResurvey'>, opts: ComposeOptions): ComposedEmail {
  const lang = pickLanguage(e.language, Object.keys(opts.templates));
  const vars: TemplateVars = {
    customerName: e.to.name ?? '',
    caseId: e.caseId ?? '',
    originalNps: e.originalNps,
    url: opts.resurveyUrl(e),
  };
  const out = render(requireTemplate(opts.templates, lang, 'resurvey'), vars, lang);
  return { ...out, to: [address(e.to)], cc: [], language: lang, template: 'resurvey', toCustomer: true };
}

/**
 * The email for an effect, or `null` when the effect is not for email (an alert on another
 * channel, or one with no email address among its recipients) or not an email kind (`syncCase`).
 */
export function composeEmail(effect: Effect, opts: ComposeOptions): ComposedEmail | null {
  switch (effect.type) {
    case 'notify':
      return composeNotify(effect, opts);
    case 'alert':
      return composeAlert(effect, opts);
    case 'informCustomer':
      return composeInform(effect, opts);
    case 'sendResurvey':
      return composeResurvey(effect, opts);
    default:
      return null;
  }
}

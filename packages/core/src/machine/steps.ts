// Pure context transformers, one per accepted event. Each returns the next context, with the
// effects this event emits in `pending` and `version` advanced by one.

import { addBusinessTime } from '../domain/business-time.ts';
import type { AuditEntry, Case, Priority } from '../domain/case.ts';
import { DEFAULT_ESCALATION, PRIORITIES } from '../domain/constants.ts';
import type { Decision, RecipientRef } from '../domain/decision.ts';
import type { CaseSummary, Change, Effect, Recipient } from '../domain/effect.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { LoopContext, LoopEnv, LoopEventOf, TimerName } from './types.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const RESURVEY_ANSWER_WINDOW_DAYS = 14;

export function summary(c: Case): CaseSummary {
  const { comments: _comments, audit: _audit, ...rest } = c;
  return rest;
}

function recipient(env: LoopEnv, id: string): Recipient {
  const p = env.directory.get(id);
  return { id: p.id, name: p.name, email: p.email, language: p.language };
}

function uniqueRecipients(
  env: LoopEnv,
  ids: readonly string[],
  exclude: readonly string[] = [],
): Recipient[] {
  return [...new Set(ids)].filter((id) => !exclude.includes(id)).map((id) => recipient(env, id));
}

function customerRecipient(ctx: LoopContext): Recipient | undefined {
  const c = ctx.feedback.customer;
  if (c.anonymous || !c.email) return undefined;
  return { id: c.id, name: c.name, email: c.email, language: ctx.feedback.language };
}

function key(ctx: LoopContext, version: number, ...parts: string[]): string {
  return [ctx.loopId, `v${version}`, ...parts].join(':');
}

function withTimers(
  ctx: LoopContext,
  set: Partial<Record<TimerName, string | undefined>>,
): LoopContext['timers'] {
  const next = { ...ctx.timers, ...set };
  for (const k of Object.keys(next) as TimerName[]) if (next[k] === undefined) delete next[k];
  return next;
}

// The last few due times computed. Captures in the same millisecond share `at` (the runtime
// reuses the timestamp string) and SLA minutes come from a few rules, so a burst of captures
// asks for the same due times again; building the ISO string is most of the cost.
const recentDue: { at: string; minutes: number; calendar: unknown; due: string }[] = [];

function plusMinutes(ctx: LoopContext, at: string, minutes: number): string {
  const calendar = ctx.decision?.sla?.calendar;
  for (const r of recentDue) {
    if (r.at === at && r.minutes === minutes && r.calendar === calendar) return r.due;
  }
  const due = new Date(addBusinessTime(Date.parse(at), minutes * MINUTE, calendar)).toISOString();
  recentDue.unshift({ at, minutes, calendar, due });
  if (recentDue.length > 4) recentDue.pop();
  return due;
}

/** Notification of a case change to its owner, with the segment's other managers in CC (seed 001). */
function notifyCase(
  env: LoopEnv,
  ctx: LoopContext,
  version: number,
  c: Case,
  reason: 'caseCreated' | 'caseUpdated',
  at: string,
  actor: string,
  changes: Change[],
  comment?: string,
): Effect[] {
  // Effects are immutable once emitted: both carry the same summary.
  const caseSummary = summary(c);
  return [
    {
      type: 'notify',
      key: key(ctx, version, 'notify'),
      loopId: ctx.loopId,
      caseId: c.id,
      createdAt: at,
      reason,
      to: [recipient(env, c.owner)],
      cc: uniqueRecipients(env, env.segments.managers(c.segment), [c.owner]),
      case: caseSummary,
      changes,
      comment,
      actor,
    },
    {
      type: 'syncCase',
      key: key(ctx, version, 'sync'),
      loopId: ctx.loopId,
      caseId: c.id,
      createdAt: at,
      change: reason === 'caseCreated' ? 'created' : 'updated',
      case: caseSummary,
    },
  ];
}

/**
 * A decision about the feedback: the first one (DECIDED), or a new one after the survey tool sent
 * more of the same answer (FEEDBACK_UPDATED on a loop that has no case yet). Alerts and thanks
 * already sent for an earlier decision are not sent again.
 */
export function applyDecision(
  env: LoopEnv,
  before: LoopContext,
  ev: { decision: Decision; at: string; feedback?: Feedback },
): Partial<LoopContext> {
  const d = ev.decision;
  const previous = before.decision;
  // The SLA calendar comes from this decision, so due times are computed with it in context.
  const ctx: LoopContext = { ...before, decision: d, feedback: ev.feedback ?? before.feedback };
  const version = ctx.version + 1;
  const f = ctx.feedback;
  const effects: Effect[] = newAlerts(env, ctx, version, previous, ev.at);
  const customer = customerRecipient(ctx);
  if (d.thankCustomer && !previous?.thankCustomer && customer) {
    effects.push({
      type: 'informCustomer',
      key: key(ctx, version, 'thank'),
      loopId: ctx.loopId,
      createdAt: ev.at,
      template: d.thankCustomer.template,
      to: customer,
      language: f.language ?? 'en',
      vars: { customerName: f.customer.name ?? '', nps: f.nps === undefined ? '' : String(f.nps) },
    });
  }
  const base = { decision: d, classification: d.classification, feedback: f, version };
  // A customer known only by id (an SMS respondent) gets a case too; it cannot be emailed.
  if (!d.case || f.customer.anonymous || (!f.customer.email && !f.customer.id)) {
    const reason = f.customer.anonymous ? 'anonymous' : !d.case ? 'noCase' : 'noContact';
    return { ...base, pending: effects, outcome: { reason } };
  }
  const segment = d.case.segment;
  const owner = d.case.owner ?? env.segments.managers(segment)[0]!;
  const firstResponseDue =
    d.sla?.firstResponseMinutes === undefined
      ? undefined
      : plusMinutes(ctx, ev.at, d.sla.firstResponseMinutes);
  const resolutionDue =
    d.sla?.resolutionMinutes === undefined ? undefined : plusMinutes(ctx, ev.at, d.sla.resolutionMinutes);
  const c: Case = {
    id: ctx.caseId,
    loopId: ctx.loopId,
    feedbackId: f.id,
    customerEmail: f.customer.email,
    customerId: f.customer.id,
    customerName: f.customer.name,
    segment,
    owner,
    priority: d.case.priority,
    status: 'new',
    feedbackComment: f.comment ?? '',
    nps: f.nps,
    csat: f.csat,
    language: f.language,
    comments: [],
    audit: [
      {
        at: ev.at,
        actor: 'system',
        action: 'created',
        note: `rules ${d.ruleSetVersion}: ${d.firedRules.join(', ') || 'default'}${lateNote(f.receivedAt, ev.at)}`,
      },
    ],
    answeredAt: f.receivedAt,
    sla: { firstResponseDue, resolutionDue, breaches: [], escalationLevel: 0 },
    ruleIds: d.firedRules,
    createdAt: ev.at,
    updatedAt: ev.at,
    version: 1,
  };
  effects.push(...notifyCase(env, ctx, version, c, 'caseCreated', ev.at, 'system', []));
  return {
    ...base,
    case: c,
    timers: withTimers(ctx, { firstResponse: firstResponseDue, resolution: resolutionDue }),
    pending: effects,
    outcome: undefined,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * For an answer given long before its case opens (an imported wave): says so in the log, since
 * the SLA clocks start when the case opens, not when the customer answered.
 */
function lateNote(answeredAt: string, openedAt: string): string {
  const late = Date.parse(openedAt) - Date.parse(answeredAt);
  if (!(late > DAY_MS)) return '';
  return `; answered ${answeredAt.slice(0, 10)}, ${Math.floor(late / DAY_MS)} day(s) before the case opened: SLA clocks start at import`;
}

/** Alert effects for the decision's alerts that an earlier decision did not already raise. */
/** Email alert recipients named by person id (`ana` or `person:ana`) become that person's address. */
function alertRecipients(env: LoopEnv, channel: string, recipients: readonly string[]): string[] {
  if (channel !== 'email') return [...recipients];
  return recipients.map((r) => {
    if (r.includes('@')) return r;
    const id = r.startsWith('person:') ? r.slice('person:'.length) : r;
    return env.directory.has(id) ? env.directory.get(id).email : r;
  });
}

function newAlerts(
  env: LoopEnv,
  ctx: LoopContext,
  version: number,
  previous: Decision | undefined,
  at: string,
): Effect[] {
  const d = ctx.decision!;
  const f = ctx.feedback;
  const raised = new Set((previous?.alerts ?? []).map((a) => `${a.ruleId}\u0000${a.channel}`));
  return d.alerts
    .filter((a) => !raised.has(`${a.ruleId}\u0000${a.channel}`))
    .map((a) => ({
      type: 'alert' as const,
      key: key(ctx, version, 'alert', a.ruleId, a.channel),
      loopId: ctx.loopId,
      caseId: ctx.case?.id,
      createdAt: at,
      ruleId: a.ruleId,
      channel: a.channel,
      template: a.template,
      recipients: alertRecipients(env, a.channel, a.recipients),
      params: a.params,
      summary: {
        feedbackId: f.id,
        nps: f.nps,
        csat: f.csat,
        comment: f.comment,
        segment: d.classification.segment,
        topics: d.classification.topics,
        flags: d.classification.flags,
      },
    }));
}

/**
 * More of the same answer arrived (e.g. the comment after the score) for a loop with a case: the
 * case gets the new answer and classification, its priority rises if the new decision says so
 * (never falls), the owner is told, and new alerts go out. No second case is opened.
 */
export function applyFeedbackUpdate(
  env: LoopEnv,
  before: LoopContext,
  ev: LoopEventOf<'FEEDBACK_UPDATED'>,
): Partial<LoopContext> {
  const d = ev.decision;
  const ctx: LoopContext = {
    ...before,
    decision: d,
    feedback: ev.feedback,
    classification: d.classification,
  };
  const version = ctx.version + 1;
  const old = before.case!;
  const c: Case = {
    ...old,
    feedbackComment: ev.feedback.comment ?? old.feedbackComment,
    nps: ev.feedback.nps,
    csat: ev.feedback.csat,
    audit: [...old.audit],
    updatedAt: ev.at,
    version: old.version + 1,
  };
  const changes: Change[] = [];
  const track = (field: 'feedbackComment' | 'nps' | 'csat') => {
    if (c[field] !== old[field]) {
      changes.push({ field, before: old[field] ?? null, after: c[field] ?? null });
      c.audit.push({
        at: ev.at,
        actor: 'system',
        action: 'feedbackUpdated',
        field,
        before: old[field] ?? null,
        after: c[field] ?? null,
      });
    }
  };
  track('nps');
  track('csat');
  track('feedbackComment');
  const wanted = d.case?.priority;
  if (wanted && PRIORITIES.indexOf(wanted) > PRIORITIES.indexOf(c.priority)) {
    changes.push({ field: 'priority', before: c.priority, after: wanted });
    c.audit.push({
      at: ev.at,
      actor: 'system',
      action: 'priority',
      field: 'priority',
      before: c.priority,
      after: wanted,
      note: 'raised by the updated answer',
    });
    c.priority = wanted;
  }
  const withCase = { ...ctx, case: c };
  return {
    feedback: ev.feedback,
    decision: d,
    classification: d.classification,
    case: c,
    version,
    pending: [
      ...newAlerts(env, withCase, version, before.decision, ev.at),
      ...notifyCase(env, ctx, version, c, 'caseUpdated', ev.at, 'system', changes),
    ],
  };
}

/** Applies field changes to a case, logging each, and re-arms or clears SLA timers. */
function changeCase(
  env: LoopEnv,
  ctx: LoopContext,
  at: string,
  actor: string,
  set: { status?: Case['status']; priority?: Priority; segment?: string; owner?: string; rootCause?: string },
  note?: string,
): { c: Case; changes: Change[]; timers: LoopContext['timers'] } {
  const before = ctx.case!;
  const c: Case = { ...before, sla: { ...before.sla }, audit: [...before.audit] };
  const changes: Change[] = [];
  const log = (
    action: AuditEntry['action'],
    field: string,
    from: string | undefined,
    to: string | undefined,
  ) => {
    changes.push({ field, before: from ?? null, after: to ?? null });
    c.audit.push({ at, actor, action, field, before: from ?? null, after: to ?? null, note });
  };
  if (set.rootCause !== undefined && set.rootCause !== c.rootCause) {
    log('resolved', 'rootCause', c.rootCause, set.rootCause);
    c.rootCause = set.rootCause;
  }
  if (set.priority !== undefined && set.priority !== c.priority) {
    log('priority', 'priority', c.priority, set.priority);
    c.priority = set.priority;
  }
  if (set.segment !== undefined && set.segment !== c.segment) {
    log('segment', 'segment', c.segment, set.segment);
    c.segment = set.segment;
    const managers = env.segments.managers(set.segment);
    if (set.owner === undefined && !managers.includes(c.owner)) set = { ...set, owner: managers[0] };
  }
  if (set.owner !== undefined && set.owner !== c.owner) {
    log('owner', 'owner', c.owner, set.owner);
    c.owner = set.owner;
  }
  let timers = ctx.timers;
  if (set.status !== undefined && set.status !== c.status) {
    const from = c.status;
    log(set.status === 'resolved' ? 'resolved' : 'status', 'status', from, set.status);
    c.status = set.status;
    if (from === 'new') {
      c.sla.firstRespondedAt = at;
      timers = withTimers({ ...ctx, timers }, { firstResponse: undefined });
    }
    if (set.status === 'resolved') {
      c.resolvedAt = at;
      timers = withTimers({ ...ctx, timers }, { resolution: undefined });
    }
    if (from === 'resolved') {
      // Reopened: the resolution clock starts again.
      c.resolvedAt = undefined;
      const minutes = ctx.decision?.sla?.resolutionMinutes;
      const due = minutes === undefined ? undefined : plusMinutes(ctx, at, minutes);
      c.sla.resolutionDue = due;
      timers = withTimers({ ...ctx, timers }, { resolution: due });
    }
  }
  c.updatedAt = at;
  c.version = before.version + 1;
  return { c, changes, timers };
}

export function applyUpdate(env: LoopEnv, ctx: LoopContext, ev: LoopEventOf<'UPDATE'>): Partial<LoopContext> {
  const version = ctx.version + 1;
  const { c, changes, timers } = changeCase(env, ctx, ev.at, ev.actor, ev.changes, ev.note);
  return {
    case: c,
    timers,
    version,
    pending: notifyCase(env, ctx, version, c, 'caseUpdated', ev.at, ev.actor, changes),
  };
}

export function applyResolve(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'RESOLVE'>,
): Partial<LoopContext> {
  return applyUpdate(env, ctx, {
    type: 'UPDATE',
    actor: ev.actor,
    at: ev.at,
    note: ev.note,
    changes: { status: 'resolved', rootCause: ev.rootCause },
  });
}

export function applyReassign(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'REASSIGN'>,
): Partial<LoopContext> {
  const version = ctx.version + 1;
  const { c, changes, timers } = changeCase(env, ctx, ev.at, ev.actor, { owner: ev.owner }, ev.note);
  return {
    case: c,
    timers,
    version,
    pending: notifyCase(env, ctx, version, c, 'caseUpdated', ev.at, ev.actor, changes),
  };
}

export function applyComment(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'COMMENT'>,
): Partial<LoopContext> {
  const version = ctx.version + 1;
  const before = ctx.case!;
  const c: Case = {
    ...before,
    comments: [...before.comments, { id: ev.commentId, author: ev.actor, body: ev.body, at: ev.at }],
    audit: [...before.audit, { at: ev.at, actor: ev.actor, action: 'comment', note: ev.commentId }],
    updatedAt: ev.at,
    version: before.version + 1,
  };
  return {
    case: c,
    version,
    pending: notifyCase(env, ctx, version, c, 'caseUpdated', ev.at, ev.actor, [], ev.body),
  };
}

function resolveRefs(env: LoopEnv, c: Case, refs: readonly RecipientRef[]): string[] {
  const ids: string[] = [];
  for (const ref of refs) {
    if (ref === 'owner') ids.push(c.owner);
    else if (ref === 'segmentManagers') ids.push(...env.segments.managers(c.segment));
    else if (ref === 'parentManagers') {
      const parent = env.segments.parentOf(c.segment);
      ids.push(...env.segments.managers(parent ?? c.segment));
    } else ids.push(ref.slice('person:'.length));
  }
  return [...new Set(ids)].filter((id) => env.directory.has(id));
}

/** The escalation step a breach runs next, or undefined when the chain is exhausted. */
export function nextEscalationStep(ctx: LoopContext) {
  const chain = ctx.decision?.escalation ?? DEFAULT_ESCALATION;
  return chain[ctx.case?.sla.escalationLevel ?? 0];
}

/** An SLA timer fired: record the breach and run the next step of the escalation chain (R17). */
export function applyBreach(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'TIMER_FIRED'>,
): Partial<LoopContext> {
  const version = ctx.version + 1;
  const kind = ev.timer as 'firstResponse' | 'resolution';
  const step = nextEscalationStep(ctx);
  const before = ctx.case!;
  const base: Case = {
    ...before,
    sla: {
      ...before.sla,
      breaches: [...before.sla.breaches, { kind, at: ev.at }],
      escalationLevel: before.sla.escalationLevel + (step ? 1 : 0),
    },
    audit: [
      ...before.audit,
      {
        at: ev.at,
        actor: 'system',
        action: 'slaBreached',
        field: kind,
        note: step ? `escalation step ${before.sla.escalationLevel + 1}` : 'escalation chain exhausted',
      },
    ],
  };
  let timers = withTimers(ctx, { [kind]: undefined });
  let c = base;
  let changes: Change[] = [];
  if (step) {
    const set: Parameters<typeof changeCase>[4] = {};
    if (step.raisePriority)
      set.priority = PRIORITIES[Math.min(PRIORITIES.indexOf(c.priority) + 1, PRIORITIES.length - 1)];
    if (step.escalate) {
      set.status = 'escalated';
      const parent = env.segments.parentOf(c.segment);
      if (parent !== undefined) set.segment = parent;
    }
    const changed = changeCase(
      env,
      { ...ctx, case: base, timers },
      ev.at,
      'system',
      set,
      `SLA ${kind} breached`,
    );
    c = changed.c;
    changes = changed.changes;
    timers = changed.timers;
    if (step.rearmMinutes !== undefined && (kind === 'resolution' || c.status === 'new')) {
      const due = plusMinutes(ctx, ev.at, step.rearmMinutes);
      timers = withTimers({ ...ctx, timers }, { [kind]: due });
      c = { ...c, sla: { ...c.sla, [kind === 'firstResponse' ? 'firstResponseDue' : 'resolutionDue']: due } };
    }
  }
  const notifyIds = resolveRefs(env, c, step?.notify ?? ['owner', 'segmentManagers']);
  const [first, ...rest] = notifyIds.length > 0 ? notifyIds : [c.owner];
  const pending: Effect[] = [
    {
      type: 'notify',
      key: key(ctx, version, 'breach', kind),
      loopId: ctx.loopId,
      caseId: c.id,
      createdAt: ev.at,
      reason: 'slaBreached',
      to: [recipient(env, first!)],
      cc: uniqueRecipients(env, rest, [first!]),
      case: summary(c),
      changes: [{ field: 'sla', before: null, after: kind }, ...changes],
      actor: 'system',
    },
    {
      type: 'syncCase',
      key: key(ctx, version, 'sync'),
      loopId: ctx.loopId,
      caseId: c.id,
      createdAt: ev.at,
      change: 'updated',
      case: summary(c),
    },
  ];
  return { case: c, timers, version, pending };
}

export function applyInform(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'INFORM_CUSTOMER'>,
): Partial<LoopContext> {
  void env;
  const version = ctx.version + 1;
  const c = ctx.case!;
  const customer = customerRecipient(ctx)!;
  return {
    version,
    pending: [
      {
        type: 'informCustomer',
        key: key(ctx, version, 'inform'),
        loopId: ctx.loopId,
        caseId: c.id,
        createdAt: ev.at,
        template: ev.template ?? 'caseResolved',
        to: customer,
        language: ev.language ?? ctx.feedback.language ?? 'en',
        vars: {
          customerName: customer.name ?? '',
          caseId: c.id,
          message: ev.message ?? '',
          rootCause: c.rootCause ?? '',
        },
        gesture: ev.gesture,
      },
    ],
  };
}

export function applyInformed(ctx: LoopContext, ev: LoopEventOf<'CUSTOMER_INFORMED'>): Partial<LoopContext> {
  const before = ctx.case!;
  const c: Case = {
    ...before,
    customerInformedAt: ev.at,
    audit: [...before.audit, { at: ev.at, actor: 'system', action: 'customerInformed' }],
    updatedAt: ev.at,
    version: before.version + 1,
  };
  const resurvey = ctx.decision?.resurvey;
  const due = resurvey ? new Date(Date.parse(ev.at) + resurvey.afterDays * DAY).toISOString() : undefined;
  return {
    case: c,
    version: ctx.version + 1,
    pending: [],
    timers: withTimers(ctx, { resurvey: due }),
    outcome: resurvey ? undefined : { reason: 'closed' },
  };
}

/**
 * A message to the customer was suppressed (do-not-contact, no consent): the case log says so,
 * with the reason. `ends`: the loop was waiting on that message (inform, re-survey) and ends.
 */
export function applySuppressed(
  ctx: LoopContext,
  ev: LoopEventOf<'CONTACT_SUPPRESSED'>,
  ends: boolean,
): Partial<LoopContext> {
  const before = ctx.case;
  const what = ev.effect === 'sendResurvey' ? 're-survey' : 'message to the customer';
  const c: Case | undefined = before && {
    ...before,
    audit: [
      ...before.audit,
      {
        at: ev.at,
        actor: 'system',
        action: 'suppressed',
        field: ev.effect,
        note: `${what} not sent: ${ev.reason}`,
      },
    ],
    updatedAt: ev.at,
    version: before.version + 1,
  };
  return {
    ...(c ? { case: c } : {}),
    version: ctx.version + 1,
    pending: [],
    ...(ends ? { timers: {}, outcome: { reason: 'noContact' as const } } : {}),
  };
}

export function applyResurveyDue(ctx: LoopContext, ev: LoopEventOf<'TIMER_FIRED'>): Partial<LoopContext> {
  const version = ctx.version + 1;
  const expiry = new Date(Date.parse(ev.at) + RESURVEY_ANSWER_WINDOW_DAYS * DAY).toISOString();
  return {
    version,
    timers: withTimers(ctx, { resurvey: undefined, resurveyExpiry: expiry }),
    pending: [
      {
        type: 'sendResurvey',
        key: key(ctx, version, 'resurvey'),
        loopId: ctx.loopId,
        caseId: ctx.caseId,
        createdAt: ev.at,
        to: customerRecipient(ctx)!,
        language: ctx.feedback.language ?? 'en',
        originalNps: ctx.feedback.nps,
      },
    ],
  };
}

/** A re-survey answer that is still unhappy: detractor (NPS 0–6) or dissatisfied (CSAT 1–2). */
export function stillUnhappy(ev: LoopEventOf<'RESURVEY_ANSWERED'>): boolean {
  return (ev.nps !== undefined && ev.nps <= 6) || (ev.csat !== undefined && ev.csat <= 2);
}

/**
 * The customer is still unhappy after the fix (R20): the case reopens for its owner, who is
 * told, and the resolution clock starts again. The loop re-surveys only once.
 */
export function applyResurveyReopen(
  env: LoopEnv,
  ctx: LoopContext,
  ev: LoopEventOf<'RESURVEY_ANSWERED'>,
): Partial<LoopContext> {
  const version = ctx.version + 1;
  const answer = { nps: ev.nps, csat: ev.csat, feedbackId: ev.feedbackId, at: ev.at };
  const note = `still unhappy after the re-survey (${ev.nps !== undefined ? `NPS ${ev.nps}` : `CSAT ${ev.csat}`})`;
  const base = { ...ctx, timers: withTimers(ctx, { resurvey: undefined, resurveyExpiry: undefined }) };
  const reopened = changeCase(env, base, ev.at, 'system', { status: 'open' }, note);
  const c: Case = {
    ...reopened.c,
    customerInformedAt: undefined,
    audit: [
      ...reopened.c.audit.slice(0, ctx.case!.audit.length),
      {
        at: ev.at,
        actor: 'system',
        action: 'resurveyed',
        after: ev.nps ?? ev.csat ?? null,
        note: ev.feedbackId,
      },
      ...reopened.c.audit.slice(ctx.case!.audit.length),
    ],
  };
  return {
    case: c,
    timers: reopened.timers,
    version,
    resurveys: [...(ctx.resurveys ?? []), answer],
    pending: notifyCase(env, ctx, version, c, 'caseUpdated', ev.at, 'system', [
      { field: 'resurvey', before: null, after: ev.nps ?? ev.csat ?? null },
      ...reopened.changes,
    ]),
  };
}

export function applyResurveyAnswered(
  ctx: LoopContext,
  ev: LoopEventOf<'RESURVEY_ANSWERED'>,
): Partial<LoopContext> {
  const before = ctx.case!;
  const score = ev.nps ?? ev.csat;
  const c: Case = {
    ...before,
    audit: [
      ...before.audit,
      { at: ev.at, actor: 'system', action: 'resurveyed', after: score ?? null, note: ev.feedbackId },
    ],
    updatedAt: ev.at,
    version: before.version + 1,
  };
  return {
    case: c,
    version: ctx.version + 1,
    pending: [],
    timers: {},
    outcome: {
      reason: 'closed',
      resurvey: { nps: ev.nps, csat: ev.csat, feedbackId: ev.feedbackId, at: ev.at },
    },
  };
}

export function applyResurveyExpired(ctx: LoopContext): Partial<LoopContext> {
  return { version: ctx.version + 1, pending: [], timers: {}, outcome: { reason: 'resurveyExpired' } };
}

/** A timer that no longer means anything in the current state is dropped. */
export function dropTimer(ctx: LoopContext, ev: LoopEventOf<'TIMER_FIRED'>): Partial<LoopContext> {
  return { version: ctx.version + 1, pending: [], timers: withTimers(ctx, { [ev.timer]: undefined }) };
}

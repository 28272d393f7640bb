// Cases API additions for the console: allowed actions, a preview of the customer mail, templates.
import { composeEmail, DEFAULT_TEMPLATES, type EmailConnector } from '@closedloop/connectors';
import {
  type Case,
  ClosedLoopError,
  type EffectOf,
  type EmbeddedClosedLoop,
  type Person,
  type Segment,
  SegmentTree,
} from '@closedloop/core';
import { actionsInWords, STATE_EVENTS, STATE_WORDS, STATUS_MOVES } from '@closedloop/core/machine';
import type { Context, Hono } from 'hono';
import { checkTemplate, HttpError, InformBody, parseBody, readJson } from './app.ts';

export interface CasesRoutesDeps {
  loop: EmbeddedClosedLoop;
  org: { segments: readonly Segment[]; directory: readonly Person[] };
  email?: EmailConnector;
  /**
   * The case, when the caller may see it (403 otherwise). Identity (serve/auth) passes its scope
   * check here; without it every case is visible, as on the rest of this API.
   */
  caseInScope?: (c: Context, id: string) => Promise<Case>;
}

/** Every template with its languages: the email connector's, or the built-in ones without one. */
export function templateList(email?: EmailConnector): { id: string; languages: string[] }[] {
  if (email) return email.templateList();
  const byId = new Map<string, string[]>();
  for (const [language, set] of Object.entries(DEFAULT_TEMPLATES))
    for (const id of Object.keys(set)) byId.set(id, [...(byId.get(id) ?? []), language]);
  return [...byId]
    .map(([id, languages]) => ({ id, languages: languages.sort() }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** What a case allows now, from the loop's state and the organisation. */
export interface CaseActions {
  /** The loop's state in words, e.g. "resolved". */
  state: string;
  /** The actions possible now, in words. */
  actions: string[];
  /** Statuses the case may move to now (never its own, never `new`). */
  statuses: string[];
  /** Segments the case may move to without escalating (siblings and segments below). */
  segments: { id: string; name: string }[];
  /** Segments an escalation may move it to (the parent and above). */
  escalationSegments: { id: string; name: string }[];
  /** People who can own the case (everyone in the directory), managers of its segment first. */
  owners: { id: string; name: string }[];
  canUpdate: boolean;
  canReassign: boolean;
  canComment: boolean;
  canResolve: boolean;
  canInform: boolean;
}

function caseActions(c: Case, state: keyof typeof STATE_EVENTS, deps: CasesRoutesDeps): CaseActions {
  const tree = new SegmentTree(deps.org.segments);
  const events = STATE_EVENTS[state] ?? [];
  const named = (ids: string[]) =>
    ids.filter((id) => tree.has(id) && id !== c.segment).map((id) => ({ id, name: tree.get(id).name }));
  const known = tree.has(c.segment);
  const canUpdate = events.includes('UPDATE');
  const managers = known ? tree.managers(c.segment) : [];
  const people = [...deps.org.directory].sort(
    (a, b) =>
      Number(!managers.includes(a.id)) - Number(!managers.includes(b.id)) || (a.name < b.name ? -1 : 1),
  );
  return {
    state: STATE_WORDS[state] ?? state,
    actions: actionsInWords(state),
    statuses: canUpdate ? [...STATUS_MOVES[c.status]] : [],
    segments: canUpdate && known ? named(tree.allowedMoves(c.segment, false)) : [],
    escalationSegments: canUpdate && known ? named(tree.allowedMoves(c.segment, true)) : [],
    owners: events.includes('REASSIGN')
      ? people.filter((p) => p.id !== c.owner).map((p) => ({ id: p.id, name: p.name }))
      : [],
    canUpdate,
    canReassign: events.includes('REASSIGN'),
    canComment: events.includes('COMMENT'),
    canResolve: events.includes('RESOLVE') && c.status !== 'resolved',
    // A customer known by id only (an SMS respondent) has no address to inform.
    canInform: events.includes('INFORM_CUSTOMER') && c.customerEmail !== undefined,
  };
}

/** The informCustomer effect `POST /v1/cases/:id/inform` would emit, built the way the loop builds it. */
function informEffect(
  c: Case,
  body: {
    message?: string;
    gesture?: { description: string; code?: string };
    template?: string;
    language?: string;
  },
): EffectOf<'informCustomer'> {
  return {
    type: 'informCustomer',
    key: `preview:${c.id}`,
    loopId: c.loopId,
    caseId: c.id,
    createdAt: new Date().toISOString(),
    template: body.template ?? 'caseResolved',
    to: { email: c.customerEmail ?? '', ...(c.customerName ? { name: c.customerName } : {}) }, // checked by the route
    language: body.language ?? c.language ?? 'en',
    vars: {
      customerName: c.customerName ?? '',
      caseId: c.id,
      message: body.message ?? '',
      rootCause: c.rootCause ?? '',
    },
    ...(body.gesture ? { gesture: body.gesture } : {}),
  };
}

/** `GET /v1/cases/:id/actions`, `POST /v1/cases/:id/inform/preview`, `GET /v1/templates`. */
export function registerCasesRoutes(app: Hono, deps: CasesRoutesDeps): void {
  const { loop } = deps;
  const caseFor = (c: Context) =>
    deps.caseInScope ? deps.caseInScope(c, c.req.param('id') ?? '') : loop.cases.get(c.req.param('id') ?? '');

  // need: read
  app.get('/v1/org', (c) =>
    c.json({
      segments: deps.org.segments.map((s) => ({
        id: s.id,
        name: s.name,
        ...(s.parent ? { parent: s.parent } : {}),
      })),
      people: deps.org.directory.map((p) => ({ id: p.id, name: p.name })),
    }),
  );

  // need: read
  app.get('/v1/templates', (c) => c.json(templateList(deps.email)));

  // need: read
  app.get('/v1/cases/:id/actions', async (c) => {
    const found = await caseFor(c);
    const record = await loop.getLoop(found.loopId);
    if (!record) throw new HttpError('CASE_NOT_FOUND', `No loop for case ${found.id}`);
    return c.json(caseActions(found, record.snapshot.state as keyof typeof STATE_EVENTS, deps));
  });

  // need: read
  app.get('/v1/cases/:id/feedback', async (c) => {
    const found = await caseFor(c);
    const f = await loop.store.getFeedback(found.feedbackId);
    if (!f) throw new HttpError('NOT_FOUND', `The feedback of case ${found.id} is not stored`);
    return c.json({
      id: f.id,
      receivedAt: f.receivedAt,
      ...(f.nps !== undefined ? { nps: f.nps } : {}),
      ...(f.csat !== undefined ? { csat: f.csat } : {}),
      ...(f.comment !== undefined ? { comment: f.comment } : {}),
      answers: f.answers ?? [],
      ...(f.touchpoint !== undefined ? { touchpoint: f.touchpoint } : {}),
      ...(f.language !== undefined ? { language: f.language } : {}),
      source: { tool: f.source.tool },
    });
  });

  // need: read
  app.post('/v1/cases/:id/inform/preview', async (c) => {
    const body = parseBody(InformBody, await readJson(c, true), 'message to the customer');
    const found = await caseFor(c);
    if (!found.customerEmail)
      throw new ClosedLoopError(
        'MOVE_REFUSED',
        'the customer left no email address (known by id only, e.g. an SMS respondent): tell them another way and note it in a comment',
      );
    if (body.template !== undefined) checkTemplate(deps.email, body.template);
    const effect = informEffect(found, body);
    const mail = deps.email
      ? deps.email.compose(effect)
      : composeEmail(effect, { templates: DEFAULT_TEMPLATES, resurveyUrl: () => '' });
    if (!mail) throw new HttpError('INVALID_INPUT', 'This case has no customer address to write to');
    return c.json({
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      to: mail.to,
      language: mail.language,
      template: mail.template,
    });
  });
}

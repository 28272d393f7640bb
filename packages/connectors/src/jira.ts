import { type CaseSummary, DeliveryError, type HealthStatus } from '@closedloop/core';
import type { Client as JiraTransport, SendRequestOptions } from 'jira.js/core';
import { z } from 'zod';
import { caseTitle, customerInWords } from './case-title.ts';
import { httpCall, isRetryableStatus } from './http.ts';
import { type ConnectorOptions, defineConnector, loadOptionalPeer } from './kit/index.ts';
import { SecretSchema } from './secrets.ts';

export const JiraConnectorConfigSchema = z.object({
  name: z.string().min(1).optional(),
  /** Your site, e.g. `https://acme.atlassian.net`. */
  host: z.url(),
  /** Account email and API token (basic auth). */
  email: SecretSchema,
  apiToken: SecretSchema,
  /** Project key the issues go to, e.g. `CX`. */
  project: z.string().min(1),
  issueType: z.string().min(1).optional(),
  /** Target status names for our statuses; a case moves its issue there by a transition. */
  statuses: z.record(z.string(), z.string()).optional(),
  /** Per-request time limit in ms (default 15 s); the runtime's deadline applies too. */
  timeoutMs: z.int().positive().optional(),
});
export type JiraConnectorOptions = ConnectorOptions<typeof JiraConnectorConfigSchema>;

const STATUSES: Record<string, string> = {
  new: 'To Do',
  open: 'In Progress',
  escalated: 'In Progress',
  resolved: 'Done',
};

/** A jira.js error as a `DeliveryError`: rate limits (with Retry-After), 5xx and network errors retry. */
export function classifyJiraError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as {
    status?: number;
    retryAfterMs?: number;
    transient?: boolean;
    message?: string;
    name?: string;
  };
  const message = `jira: ${e.message ?? String(err)}`;
  if (typeof e.status === 'number') {
    const retryable = isRetryableStatus(e.status);
    return new DeliveryError(message, {
      retryable,
      ...(retryable && e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      cause: err,
    });
  }
  return new DeliveryError(message, { retryable: e.transient ?? true, cause: err });
}

/** The label that finds a case's issue again. */
export function jiraCaseLabel(caseId: string): string {
  return `closedloop-${caseId.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** Query string as Jira reads it: lists repeat the key, objects are JSON, empty values are left out. */
function query(params: Record<string, unknown> | undefined): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      q.append(key, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

/**
 * A jira.js transport on `httpCall`: the delivery's abort signal and a timeout reach every request
 * (jira.js's own transport takes no signal), and failures are `DeliveryError`s by HTTP status.
 */
function jiraTransport(o: {
  name: string;
  host: string;
  authorization: string;
  signal: AbortSignal;
  timeoutMs: number | undefined;
}): JiraTransport {
  return {
    async sendRequest<T>(req: SendRequestOptions<T>): Promise<T> {
      const method = req.method ?? 'GET';
      const res = await httpCall(
        `${o.name}: ${method} ${req.url}`,
        `${o.host}${req.url}${query(req.searchParams)}`,
        {
          method,
          signal: o.signal,
          timeoutMs: o.timeoutMs,
          headers: {
            authorization: o.authorization,
            accept: 'application/json',
            ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        },
      );
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

function adf(c: CaseSummary): Record<string, unknown> {
  const para = (text: string) => ({ type: 'paragraph', content: text ? [{ type: 'text', text }] : [] });
  return {
    type: 'doc',
    version: 1,
    content: [
      para(`Customer: ${customerInWords(c)}`),
      para(`Segment: ${c.segment} · Owner: ${c.owner} · Priority: ${c.priority}`),
      { type: 'blockquote', content: [para(c.feedbackComment)] },
    ],
  };
}

/**
 * Opens a Jira issue per case and moves it through the workflow as the case changes, with the
 * official `jira.js` (an optional peer dependency). The issue carries a label made from the case id
 * (`closedloop-CS-1042`), found again by JQL, so a replay never opens a second issue; a status
 * change runs the transition that leads to the mapped status. Every request carries the
 * delivery's abort signal and a timeout (`timeoutMs`, default 15 s).
 *
 * @example
 * jiraConnector({ host: 'https://acme.atlassian.net', email: { env: 'JIRA_EMAIL' }, apiToken: { env: 'JIRA_API_TOKEN' }, project: 'CX' });
 */
export const jiraConnector = defineConnector({
  name: 'jira',
  schema: JiraConnectorConfigSchema,
  capabilities: ['syncCase'],
  classify: classifyJiraError,
  setup({ name, config: cfg, secret }) {
    const email = secret(cfg.email, 'email');
    const apiToken = secret(cfg.apiToken, 'apiToken');
    const authorization = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
    const host = cfg.host.replace(/\/$/, '');
    const statuses = { ...STATUSES, ...cfg.statuses };
    const jira = async (signal: AbortSignal) => {
      const { createCloudClient } = await loadOptionalPeer<typeof import('jira.js')>('jira.js');
      return createCloudClient(
        jiraTransport({ name, host, authorization, signal, timeoutMs: cfg.timeoutMs }),
      );
    };

    return {
      async deliver(effect, { signal }) {
        if (effect.type !== 'syncCase') return;
        const j = await jira(signal);
        const c = effect.case;
        const label = jiraCaseLabel(c.id);
        const found = await j.issueSearch.searchAndReconsileIssuesUsingJql({
          jql: `project = "${cfg.project}" AND labels = "${label}"`,
          fields: ['status'],
          maxResults: 1,
        });
        let issue: { id?: string; key?: string; fields?: { status?: { name?: string } } } | undefined =
          found.issues?.[0];
        if (!issue) {
          const created = await j.issues.createIssue({
            fields: {
              project: { key: cfg.project },
              issuetype: { name: cfg.issueType ?? 'Task' },
              summary: caseTitle(c),
              description: adf(c),
              labels: ['closedloop', label],
            },
          });
          issue = {
            ...(created.key ? { key: created.key } : {}),
            ...(created.id ? { id: created.id } : {}),
          };
        } else {
          const ref = issue.key ?? issue.id;
          if (ref) await j.issues.editIssue({ issueIdOrKey: ref, fields: { summary: caseTitle(c) } });
        }
        const target = statuses[c.status];
        const current = issue.fields?.status?.name;
        const key = issue.key ?? issue.id;
        if (
          target &&
          key &&
          current?.toLowerCase() !== target.toLowerCase() &&
          !(c.status === 'new' && !current)
        ) {
          const { transitions = [] } = await j.issues.getTransitions({ issueIdOrKey: key });
          const t = transitions.find(
            (x) =>
              x.to?.name?.toLowerCase() === target.toLowerCase() ||
              x.name?.toLowerCase() === target.toLowerCase(),
          );
          if (!t?.id) {
            throw new DeliveryError(
              `${name}: issue ${key} has no transition to "${target}" (available: ${transitions.map((x) => x.to?.name ?? x.name).join(', ')}); set statuses.${c.status}`,
              { retryable: false },
            );
          }
          await j.issues.doTransition({ issueIdOrKey: key, transition: { id: t.id } });
        }
      },
      async health(): Promise<HealthStatus> {
        const me = await (await jira(AbortSignal.timeout(10_000))).myself.getCurrentUser();
        return { ok: true, detail: `signed in as ${me.displayName ?? me.emailAddress ?? 'the API user'}` };
      },
    };
  },
});

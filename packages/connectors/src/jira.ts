import { type CaseSummary, type Connector, DeliveryError, type HealthStatus } from '@closedloop/core';
import { z } from 'zod';
import { caseTitle, customerInWords } from './case-title.ts';
import { isRetryableStatus } from './http.ts';
import { DeliveryLedger } from './ledger.ts';
import { configError, resolveSecret, SecretSchema } from './secrets.ts';

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
});
export type JiraConnectorOptions = z.input<typeof JiraConnectorConfigSchema> & { env?: NodeJS.ProcessEnv };

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

interface JiraLike {
  issues: {
    createIssue(p: unknown): Promise<{ id?: string; key?: string }>;
    editIssue(p: unknown): Promise<void>;
    getTransitions(
      p: unknown,
    ): Promise<{ transitions?: { id?: string; name?: string; to?: { name?: string } }[] }>;
    doTransition(p: unknown): Promise<void>;
  };
  issueSearch: {
    searchAndReconsileIssuesUsingJql(p: unknown): Promise<{
      issues?: { id?: string; key?: string; fields?: { status?: { name?: string } } }[];
    }>;
  };
  myself: { getCurrentUser(p?: unknown): Promise<{ emailAddress?: string; displayName?: string }> };
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
 * change runs the transition that leads to the mapped status.
 *
 * @example
 * jiraConnector({ host: 'https://acme.atlassian.net', email: { env: 'JIRA_EMAIL' }, apiToken: { env: 'JIRA_API_TOKEN' }, project: 'CX' });
 */
export function jiraConnector(options: JiraConnectorOptions): Connector {
  const name = options.name ?? 'jira';
  const parsed = JiraConnectorConfigSchema.safeParse(options);
  if (!parsed.success) throw configError(name, parsed.error);
  const cfg = parsed.data;
  const email = resolveSecret(cfg.email, { connector: name, path: 'email' }, options.env);
  const apiToken = resolveSecret(cfg.apiToken, { connector: name, path: 'apiToken' }, options.env);
  const statuses = { ...STATUSES, ...cfg.statuses };
  const ledger = new DeliveryLedger();
  let client: Promise<JiraLike> | undefined;
  const jira = () => {
    client ??= import('jira.js').then(
      (m) =>
        m.createCloudClient({
          host: cfg.host.replace(/\/$/, ''),
          auth: { type: 'basic', email, apiToken },
          retry: { maxAttempts: 1 },
          onSchemaMismatch: 'silent',
        }) as unknown as JiraLike,
      (err: unknown) => {
        client = undefined;
        throw new DeliveryError(`${name}: needs the jira.js package: install it (${String(err)})`, {
          retryable: false,
          cause: err,
        });
      },
    );
    return client;
  };

  return {
    name,
    capabilities: ['syncCase'],
    async deliver(effect, ctx) {
      if (effect.type !== 'syncCase') return;
      if (ctx.signal.aborted) throw new DeliveryError(`${name}: delivery aborted`, { retryable: true });
      await ledger.once(effect.key, async () => {
        const j = await jira();
        const c = effect.case;
        const label = jiraCaseLabel(c.id);
        try {
          const found = await j.issueSearch.searchAndReconsileIssuesUsingJql({
            jql: `project = "${cfg.project}" AND labels = "${label}"`,
            fields: ['status'],
            maxResults: 1,
          });
          let issue = found.issues?.[0];
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
            await j.issues.editIssue({
              issueIdOrKey: issue.key ?? issue.id,
              fields: { summary: caseTitle(c) },
            });
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
        } catch (err) {
          throw classifyJiraError(err);
        }
      });
    },
    async health(): Promise<HealthStatus> {
      try {
        const me = await (await jira()).myself.getCurrentUser();
        return { ok: true, detail: `signed in as ${me.displayName ?? me.emailAddress ?? 'the API user'}` };
      } catch (err) {
        return { ok: false, detail: classifyJiraError(err).message };
      }
    },
  };
}

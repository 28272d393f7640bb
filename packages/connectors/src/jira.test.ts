import { DeliveryError, EffectSchema } from '@closedloop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hungHttp, type RecordedRequest, type Reply, type TestHttp, testHttp } from './__tests__/http.ts';
import { jiraCaseLabel, jiraConnector } from './jira.ts';
import { connectorTestKit, sampleCase, sampleEffect } from './testing/index.ts';

const ctx = (attempt = 1) => ({ attempt, signal: new AbortController().signal });
const AUTH = `Basic ${Buffer.from('bot@shop.example:jira-token').toString('base64')}`;

// A Jira Cloud REST v3 stand-in: JQL search by label, create, edit, transitions, myself.
interface Issue {
  id: string;
  key: string;
  fields: {
    summary: string;
    labels: string[];
    status: { name: string };
    description: unknown;
    project: { key: string };
  };
}
const issues = new Map<string, Issue>();
const WORKFLOW: Record<string, { id: string; name: string; to: { id: string; name: string } }[]> = {
  'To Do': [
    { id: '11', name: 'Start progress', to: { id: '3', name: 'In Progress' } },
    { id: '31', name: 'Resolve', to: { id: '10001', name: 'Done' } },
  ],
  'In Progress': [
    { id: '21', name: 'Stop progress', to: { id: '10000', name: 'To Do' } },
    { id: '31', name: 'Resolve', to: { id: '10001', name: 'Done' } },
  ],
  Done: [{ id: '41', name: 'Reopen', to: { id: '10000', name: 'To Do' } }],
};
let seq = 0;
function jira(req: RecordedRequest): Reply {
  if (req.headers.authorization !== AUTH)
    return { status: 401, body: { errorMessages: ['Client must be authenticated'], errors: {} } };
  const url = new URL(req.path, 'http://x');
  if (req.method === 'GET' && url.pathname === '/rest/api/3/myself') {
    return {
      status: 200,
      body: { accountId: '5b10', emailAddress: 'bot@shop.example', displayName: 'CX bot', active: true },
    };
  }
  if (req.method === 'GET' && url.pathname === '/rest/api/3/search/jql') {
    const label = /labels = "([^"]+)"/.exec(url.searchParams.get('jql') ?? '')?.[1];
    const found = [...issues.values()].filter((i) => label && i.fields.labels.includes(label));
    return {
      status: 200,
      body: {
        issues: found.map((i) => ({ id: i.id, key: i.key, fields: { status: i.fields.status } })),
        isLast: true,
      },
    };
  }
  if (req.method === 'POST' && url.pathname === '/rest/api/3/issue') {
    const f = (req.json as { fields: Issue['fields'] & { issuetype: { name: string } } }).fields;
    if (!f.summary || !f.project?.key || !f.issuetype?.name)
      return { status: 400, body: { errorMessages: [], errors: { summary: 'required' } } };
    seq += 1;
    const issue: Issue = {
      id: String(10000 + seq),
      key: `${f.project.key}-${seq}`,
      fields: { ...f, status: { name: 'To Do' } },
    };
    issues.set(issue.key, issue);
    return {
      status: 201,
      body: { id: issue.id, key: issue.key, self: `http://x/rest/api/3/issue/${issue.id}` },
    };
  }
  const m = /^\/rest\/api\/3\/issue\/([A-Z]+-\d+)(\/transitions)?$/.exec(url.pathname);
  const issue = m ? issues.get(m[1]!) : undefined;
  if (m && !issue)
    return {
      status: 404,
      body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
    };
  if (issue && req.method === 'PUT' && !m![2]) {
    Object.assign(issue.fields, (req.json as { fields: object }).fields);
    return { status: 204 };
  }
  if (issue && req.method === 'GET' && m![2])
    return { status: 200, body: { expand: 'transitions', transitions: WORKFLOW[issue.fields.status.name] } };
  if (issue && req.method === 'POST' && m![2]) {
    const id = (req.json as { transition: { id: string } }).transition.id;
    const t = WORKFLOW[issue.fields.status.name]?.find((x) => x.id === id);
    if (!t)
      return {
        status: 400,
        body: { errorMessages: ['Transition id is not valid for this issue.'], errors: {} },
      };
    issue.fields.status = { name: t.to.name };
    return { status: 204 };
  }
  return { status: 404, body: { errorMessages: [`no route ${req.method} ${url.pathname}`], errors: {} } };
}

let api: TestHttp;
beforeAll(async () => {
  api = await testHttp(jira);
});
afterAll(() => api.close());

const connector = () =>
  jiraConnector({
    host: api.url,
    email: 'bot@shop.example',
    apiToken: { env: 'JIRA_TOKEN' },
    project: 'CX',
    env: { JIRA_TOKEN: 'jira-token' },
  });
const issuesFor = (caseId: string) =>
  [...issues.values()].filter((i) => i.fields.labels.includes(jiraCaseLabel(caseId)));

describe('jira connector (jira.js)', () => {
  it('creates an issue for a case and transitions it as the case moves', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'j-1',
      case: sampleCase({ id: 'CS-J1' }),
    });
    await c.deliver(e, ctx());
    const [issue] = issuesFor('CS-J1');
    expect(issue?.fields).toMatchObject({
      summary: '[Case CS-J1] NPS 3 from Marta García',
      labels: ['closedloop', 'closedloop-CS-J1'],
      status: { name: 'To Do' },
      project: { key: 'CX' },
    });
    expect(JSON.stringify(issue?.fields.description)).toContain('"type":"blockquote"');
    await c.deliver(
      EffectSchema.parse({
        ...e,
        key: 'j-2',
        change: 'updated',
        case: sampleCase({ id: 'CS-J1', status: 'open' }),
      }),
      ctx(),
    );
    expect(issue?.fields.status.name).toBe('In Progress');
    await connector().deliver(
      EffectSchema.parse({
        ...e,
        key: 'j-3',
        change: 'updated',
        case: sampleCase({ id: 'CS-J1', status: 'resolved' }),
      }),
      ctx(),
    );
    expect(issuesFor('CS-J1')).toHaveLength(1);
    expect(issue?.fields.status.name).toBe('Done');
  });

  it('names the missing transition as a permanent failure', async () => {
    const c = jiraConnector({
      host: api.url,
      email: 'bot@shop.example',
      apiToken: 'jira-token',
      project: 'CX',
      statuses: { escalated: 'Escalated' },
    });
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'j-4',
      case: sampleCase({ id: 'CS-J2', status: 'escalated' }),
    });
    const err = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect([err.retryable, err.message]).toEqual([
      false,
      'jira: issue CX-2 has no transition to "Escalated" (available: In Progress, Done); set statuses.escalated',
    ]);
  });

  it('retries 429 after Retry-After and 5xx; refuses bad credentials for good', async () => {
    const c = connector();
    const e = EffectSchema.parse({
      ...sampleEffect('syncCase'),
      key: 'j-5',
      case: sampleCase({ id: 'CS-J3' }),
    });
    api.replyNext({
      status: 429,
      headers: { 'retry-after': '4' },
      body: { errorMessages: ['Rate limit exceeded'] },
    });
    const rl = (await c.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError;
    expect([rl instanceof DeliveryError, rl.retryable, rl.retryAfterMs]).toEqual([true, true, 4000]);
    api.replyNext({ status: 503, body: { errorMessages: ['Service unavailable'] } });
    expect(((await c.deliver(e, ctx(2)).catch((x: unknown) => x)) as DeliveryError).retryable).toBe(true);
    const bad = jiraConnector({ host: api.url, email: 'bot@shop.example', apiToken: 'wrong', project: 'CX' });
    expect(((await bad.deliver(e, ctx()).catch((x: unknown) => x)) as DeliveryError).retryable).toBe(false);
    expect(await connector().health?.()).toEqual({ ok: true, detail: 'signed in as CX bot' });
    expect((await bad.health?.())?.ok).toBe(false);
  });

  describe('contract test kit', () => {
    for (const check of connectorTestKit({
      create: connector,
      received: (e) => (e.type === 'syncCase' ? issuesFor(e.case.id).length : 0),
      failNext: (f) =>
        api.replyNext(
          f === 'transient'
            ? { status: 502, body: { errorMessages: ['bad gateway'] } }
            : f === 'permanent'
              ? {
                  status: 403,
                  body: { errorMessages: ['You do not have permission to create issues in this project.'] },
                }
              : {
                  status: 429,
                  headers: { 'retry-after': '2' },
                  body: { errorMessages: ['Rate limit exceeded'] },
                },
        ),
      retryAfterMs: 2000,
    })) {
      it(check.name, check.run);
    }
  });
});

describe('a hung Jira', () => {
  it('an aborted delivery fails as retryable and drops the request it was waiting on', async () => {
    const hung = await hungHttp();
    try {
      const c = jiraConnector({
        host: hung.url,
        email: 'bot@shop.example',
        apiToken: 'jira-token',
        project: 'CX',
      });
      const ac = new AbortController();
      const delivery = c.deliver(sampleEffect('syncCase'), { attempt: 1, signal: ac.signal });
      await hung.arrived;
      ac.abort();
      await expect(delivery).rejects.toMatchObject({ retryable: true, message: 'jira: delivery aborted' });
      await hung.dropped;
    } finally {
      await hung.close();
    }
  });

  it('a bad config names the field', () => {
    expect(() =>
      jiraConnector({
        host: 'https://acme.atlassian.net',
        email: 'a',
        apiToken: { env: 'NO_SUCH_JIRA_TOKEN' },
        project: 'CX',
        env: {},
      }),
    ).toThrow('jira: apiToken: environment variable NO_SUCH_JIRA_TOKEN is not set');
  });
});

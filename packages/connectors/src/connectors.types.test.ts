import type { Connector, FeedbackInput } from '@closedloop/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { hubspotConnector } from './hubspot.ts';
import {
  emailConnector,
  type InboundResult,
  parseFeedbackCsv,
  type SurveyAdapter,
  teamsConnector,
  typeformAdapter,
  webhookConnector,
  zendeskConnector,
} from './index.ts';
import { jiraConnector } from './jira.ts';
import { salesforceConnector } from './salesforce.ts';
import { slackConnector } from './slack.ts';

describe('types', () => {
  it('every factory returns a core Connector', () => {
    expectTypeOf(emailConnector).returns.toExtend<Connector>();
    expectTypeOf(webhookConnector).returns.toExtend<Connector>();
    expectTypeOf(slackConnector).returns.toExtend<Connector>();
    expectTypeOf(teamsConnector).returns.toExtend<Connector>();
    expectTypeOf(zendeskConnector).returns.toExtend<Connector>();
    expectTypeOf(hubspotConnector).returns.toExtend<Connector>();
    expectTypeOf(salesforceConnector).returns.toExtend<Connector>();
    expectTypeOf(jiraConnector).returns.toExtend<Connector>();
  });

  it('secrets are strings or { env }, nothing else', () => {
    expectTypeOf(webhookConnector)
      .parameter(0)
      .toHaveProperty('secret')
      .toEqualTypeOf<string | { env: string }>();
    expect(() =>
      // @ts-expect-error a secret is not a number
      webhookConnector({ url: 'https://x.example', secret: 42 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConnectorConfigError: webhook: secret: Invalid input: expected string, received number]`,
    );
  });

  it('a kit connector takes the input of its schema plus the environment its secrets are read from', () => {
    expectTypeOf(hubspotConnector)
      .parameter(0)
      .toHaveProperty('accessToken')
      .toEqualTypeOf<string | { env: string }>();
    expectTypeOf(jiraConnector)
      .parameter(0)
      .toHaveProperty('env')
      .toEqualTypeOf<NodeJS.ProcessEnv | undefined>();
    // @ts-expect-error the project is required
    expect(() => jiraConnector({ host: 'https://acme.atlassian.net', email: 'a', apiToken: 't' })).toThrow(
      'jira: project: Invalid input: expected string, received undefined',
    );
  });

  it('the email transport is SMTP options or a folder', () => {
    expect(() =>
      // @ts-expect-error an unknown transport kind
      emailConnector({ transport: { kind: 'carrier-pigeon', path: '.' }, from: 'a@b.example' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConnectorConfigError: email: transport.kind: Invalid input: expected "directory"]`,
    );
  });

  it('adapters answer feedback inputs', () => {
    expectTypeOf(typeformAdapter).returns.toEqualTypeOf<SurveyAdapter>();
    expectTypeOf<
      Extract<Awaited<ReturnType<SurveyAdapter['handle']>>, { ok: true }>['events'][number]['feedback']
    >().toEqualTypeOf<FeedbackInput>();
    expectTypeOf<InboundResult>().toHaveProperty('ok');
    expectTypeOf(parseFeedbackCsv).returns.toHaveProperty('feedback').toEqualTypeOf<FeedbackInput[]>();
  });
});

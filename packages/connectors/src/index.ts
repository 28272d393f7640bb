// @closedloop/connectors: the public API at a glance. Vendor-SDK connectors live on subpaths
// (`@closedloop/connectors/slack`, …) so that you install only the SDKs you use.

export type { ChatMessage } from './chat-format.ts';
export { chatMessage } from './chat-format.ts';
export type { ComposedEmail } from './email/compose.ts';
export { composeEmail } from './email/compose.ts';
export type {
  DirectoryTransportConfig,
  EmailConnector,
  EmailConnectorOptions,
  SmtpTransportConfig,
} from './email/connector.ts';
export { classifySmtpError, EmailConnectorConfigSchema, emailConnector } from './email/connector.ts';
export type {
  ReportMail,
  ReportMailer,
  ReportMailerConfig,
  ReportMailerOptions,
} from './email/report-mailer.ts';
export { ReportMailerConfigSchema, reportMailer } from './email/report-mailer.ts';
export type { BuiltInTemplateName, EmailTemplates, MessageTemplate } from './email/templates.ts';
export { DEFAULT_TEMPLATES, pickLanguage } from './email/templates.ts';
export type { MailTransport, MailTransportConfig } from './email/transport.ts';
export { MailTransportSchema, mailTransport } from './email/transport.ts';
export type { HttpCall } from './http.ts';
export { httpCall, httpDeliveryError, isRetryableStatus, parseRetryAfter } from './http.ts';
export type { Parsed } from './inbound/adapter.ts';
export { makeAdapter } from './inbound/adapter.ts';
export type { DelightedAdapterOptions } from './inbound/delighted.ts';
export { delightedAdapter } from './inbound/delighted.ts';
export type { FormbricksAdapterOptions } from './inbound/formbricks.ts';
export { formbricksAdapter } from './inbound/formbricks.ts';
export type { ImportIssue, ImportOptions, ImportResult, ImportRow } from './inbound/import.ts';
export { parseFeedbackCsv, parseFeedbackJson } from './inbound/import.ts';
export type { ImportMapping } from './inbound/import-columns.ts';
export { ImportMappingSchema } from './inbound/import-columns.ts';
export { readDate, readScore } from './inbound/import-values.ts';
export type { FieldMapping, MappingResult, RawAnswer, RawResponse } from './inbound/mapping.ts';
export { FieldMappingSchema, mapResponse } from './inbound/mapping.ts';
export type { QualtricsAdapterOptions } from './inbound/qualtrics.ts';
export { qualtricsAdapter } from './inbound/qualtrics.ts';
export type { SurveyMonkeyAdapterOptions } from './inbound/surveymonkey.ts';
export { surveyMonkeyAdapter } from './inbound/surveymonkey.ts';
export type { TypeformAdapterOptions } from './inbound/typeform.ts';
export { typeformAdapter } from './inbound/typeform.ts';
export type { InboundFeedback, InboundRequest, InboundResult, SurveyAdapter } from './inbound/types.ts';
export { DeliveryLedger } from './ledger.ts';
export type { TemplateVars } from './render.ts';
export { renderTemplate } from './render.ts';
export type { Secret } from './secrets.ts';
export { ConnectorConfigError, resolveSecret, SecretSchema } from './secrets.ts';
export type { TeamsConnectorOptions } from './teams.ts';
export { adaptiveCard, TeamsConnectorConfigSchema, teamsConnector } from './teams.ts';
export type { WebhookConnectorOptions, WebhookPayload, WebhookVerification } from './webhook.ts';
export {
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  WebhookConnectorConfigSchema,
  webhookConnector,
  webhookId,
} from './webhook.ts';
export type { ZendeskConnectorOptions } from './zendesk.ts';
export { ZendeskConnectorConfigSchema, zendeskConnector } from './zendesk.ts';

// Test helpers moved to `@closedloop/connectors/testing`; these names stay for existing imports.
import * as testing from './testing/index.ts';
/** @deprecated Import from `@closedloop/connectors/testing`. */
export type ConnectorCheck = testing.ConnectorCheck;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export type ConnectorTestKitOptions = testing.ConnectorTestKitOptions;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export type SimulatedFailure = testing.SimulatedFailure;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export const connectorTestKit = testing.connectorTestKit;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export const runConnectorTestKit = testing.runConnectorTestKit;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export const sampleCase = testing.sampleCase;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export const sampleEffect = testing.sampleEffect;
/** @deprecated Import from `@closedloop/connectors/testing`. */
export const sampleEffects = testing.sampleEffects;

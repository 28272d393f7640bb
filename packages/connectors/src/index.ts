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
export type { BuiltInTemplateName, EmailTemplates, MessageTemplate } from './email/templates.ts';
export { DEFAULT_TEMPLATES, pickLanguage } from './email/templates.ts';
export { sampleCase, sampleEffect, sampleEffects } from './fixtures.ts';
export type { HttpCall } from './http.ts';
export { httpCall, httpDeliveryError, isRetryableStatus, parseRetryAfter } from './http.ts';
export { DeliveryLedger } from './ledger.ts';
export type { TemplateVars } from './render.ts';
export { escapeHtml, renderTemplate } from './render.ts';
export type { Secret } from './secrets.ts';
export { ConnectorConfigError, resolveSecret, SecretSchema } from './secrets.ts';
export type { TeamsConnectorOptions } from './teams.ts';
export { adaptiveCard, TeamsConnectorConfigSchema, teamsConnector } from './teams.ts';
export type { ConnectorCheck, ConnectorTestKitOptions, SimulatedFailure } from './testkit.ts';
export { connectorTestKit, runConnectorTestKit } from './testkit.ts';
export type { WebhookConnectorOptions, WebhookPayload, WebhookVerification } from './webhook.ts';
export {
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  WebhookConnectorConfigSchema,
  webhookConnector,
  webhookId,
} from './webhook.ts';

// @closedloop/connectors/kit: write a connector once. `defineConnector` does the parts every
// connector shares (config errors, secrets, abort, idempotency ledger, error classification);
// `loadOptionalPeer` imports a vendor SDK only when it is used.

export type { HttpCall } from '../http.ts';
export { httpCall, httpDeliveryError, isRetryableStatus, parseRetryAfter } from '../http.ts';
export type { Secret } from '../secrets.ts';
export { ConnectorConfigError, SecretSchema } from '../secrets.ts';
export type {
  ConnectorBehaviour,
  ConnectorDefinition,
  ConnectorOptions,
  DeliverContext,
  SetupContext,
} from './define.ts';
export { abortable, defineConnector, withTimeout } from './define.ts';
export { lazy, loadOptionalPeer } from './peer.ts';

// @closedloop/connectors/testing: what connector tests need, kept out of production imports.
// Sample effects checked against core's schema, and the connector contract test kit.

export { sampleCase, sampleEffect, sampleEffects } from './fixtures.ts';
export type { ConnectorCheck, ConnectorTestKitOptions, SimulatedFailure } from './testkit.ts';
export { connectorTestKit, runConnectorTestKit } from './testkit.ts';

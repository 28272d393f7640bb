// The closedloop search attributes must be registered on the namespace before loops can start:
// without them, starting a workflow that sets them fails and captures hang. Checked at worker start.
import { ClosedLoopError } from '@closedloop/core';
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_NAMES } from './workflows/definitions.ts';

/** The exact Temporal CLI command that registers the given search attributes. */
export function registerCommand(address: string, namespace: string, names: readonly string[]): string {
  const pairs = names.map((n) => `--name ${n} --type Keyword`).join(' ');
  return `temporal operator search-attribute create --address ${address} --namespace ${namespace} ${pairs}`;
}

/**
 * Fails with a `ClosedLoopError` (code `CONFIGURATION`) naming the missing search attributes and
 * the command that registers them, when any ClosedLoop* search attribute is not registered.
 */
export async function checkSearchAttributes(
  connection: Pick<NativeConnection, 'operatorService'>,
  namespace: string,
  address: string,
): Promise<void> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(res.customAttributes ?? {}),
    ...Object.keys(res.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !known.has(n));
  if (missing.length === 0) return;
  throw new ClosedLoopError(
    'CONFIGURATION',
    `The search attributes ${missing.join(', ')} are not registered on namespace "${namespace}": ` +
      `captures would wait forever. Register them once with:\n  ${registerCommand(address, namespace, missing)}\n` +
      'or set "searchAttributes": false in the worker config (and in createTemporalClosedLoop).',
    { details: { namespace, missing } },
  );
}

import { DeliveryError } from '@closedloop/core';

const loaded = new Map<string, Promise<unknown>>();

function isMissing(err: unknown, specifier: string): boolean {
  const e = err as { code?: string; message?: string };
  const pkg = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  return (
    (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(`'${pkg}`)
  );
}

/**
 * Imports an optional peer dependency (a vendor SDK) the first time it is needed. A package that
 * is not installed fails with a permanent `DeliveryError` that names the package to install; a
 * failed load is forgotten, so installing it and retrying works without a restart.
 *
 * @example
 * const { Client } = await loadOptionalPeer<typeof import('@hubspot/api-client')>('@hubspot/api-client');
 */
export function loadOptionalPeer<M>(specifier: string): Promise<M> {
  let module = loaded.get(specifier);
  if (!module) {
    module = import(specifier).catch((err: unknown) => {
      loaded.delete(specifier);
      const message = isMissing(err, specifier)
        ? `the optional package ${specifier} is not installed: install it next to @closedloop/connectors (pnpm add ${specifier})`
        : `the optional package ${specifier} could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
      throw new DeliveryError(message, { retryable: false, cause: err });
    });
    loaded.set(specifier, module);
  }
  return module as Promise<M>;
}

/**
 * A value made on first use and kept (e.g. an SDK client); a failure is not kept, so the next
 * call tries again.
 *
 * @example
 * const client = lazy(async () => new (await loadOptionalPeer<typeof import('x')>('x')).Client());
 */
export function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

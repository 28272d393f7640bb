import type { Store } from '@closedloop/core';
import { randomId } from './crypto.ts';

/** `store.documents` kind of the access log: who informed a customer (and what), who exported. */
export const AUDIT_KIND = 'audit';

export type AuditEntry =
  | {
      action: 'inform';
      actor: string;
      caseId: string;
      message?: string;
      gesture?: { description: string; code?: string };
    }
  | { action: 'export'; actor: string; format: string; filters: Record<string, unknown> };

/** Records an entry, ids sortable by time (`<ISO time>-<random>`). */
export async function recordAudit(store: Store, entry: AuditEntry, now = new Date()): Promise<void> {
  await store.documents.put(AUDIT_KIND, `${now.toISOString()}-${randomId(6)}`, {
    at: now.toISOString(),
    ...entry,
  });
}

import { createHash } from 'node:crypto';
import { ClosedLoopError, type Store } from '@closedloop/core';
import { randomId, sameText } from './crypto.ts';
import { type Principal, SCOPES, type Scope } from './types.ts';

/** `store.documents` kind holding API tokens, by token id; only a hash of the secret is kept. */
export const TOKEN_KIND = 'auth.token';

interface TokenRecord {
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret part, hex. */
  hash: string;
  createdAt: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const PREFIX = 'clt';
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Checks scope names, naming the bad one and the choices. */
function parseScopes(list: readonly string[]): Scope[] {
  const bad = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0 || list.length === 0)
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `${bad.length > 0 ? `unknown scope(s) ${bad.map((b) => `"${b.slice(0, 30)}"`).join(', ')}` : 'no scope given'}: use ${SCOPES.join(', ')}`,
      { issues: [{ path: 'scopes', message: `one or more of ${SCOPES.join(', ')}` }] },
    );
  return [...new Set(list as Scope[])];
}

/**
 * Creates an API token. The returned `token` is shown once: the store keeps only its hash.
 *
 * @example
 * const { token } = await createToken(store, { name: 'survey-import', scopes: ['capture'] });
 */
export async function createToken(
  store: Store,
  input: { name: string; scopes: readonly string[] },
): Promise<TokenInfo & { token: string }> {
  if (!NAME.test(input.name))
    throw new ClosedLoopError(
      'INVALID_INPUT',
      'A token name is 1–63 lowercase letters, digits, ".", "_" or "-", such as "survey-import"',
      { issues: [{ path: 'name', message: 'lowercase letters, digits, ".", "_", "-"' }] },
    );
  const scopes = parseScopes(input.scopes);
  if ((await listTokens(store)).some((t) => t.name === input.name))
    throw new ClosedLoopError(
      'CONFLICT',
      `A token named "${input.name}" exists: revoke it or pick another name`,
    );
  const id = randomId(9);
  const secret = randomId(32);
  const record: TokenRecord = {
    name: input.name,
    scopes,
    hash: hashOf(secret),
    createdAt: new Date().toISOString(),
  };
  await store.documents.put(TOKEN_KIND, id, record, { expectedVersion: 0 });
  return { id, name: record.name, scopes, createdAt: record.createdAt, token: `${PREFIX}_${id}_${secret}` };
}

export async function listTokens(store: Store): Promise<TokenInfo[]> {
  const docs = await store.documents.list<TokenRecord>(TOKEN_KIND);
  return docs.map((d) => ({
    id: d.id,
    name: d.value.name,
    scopes: d.value.scopes,
    createdAt: d.value.createdAt,
  }));
}

/** Revokes a token by id or name; false when there is none. */
export async function revokeToken(store: Store, idOrName: string): Promise<boolean> {
  const found = (await listTokens(store)).find((t) => t.id === idOrName || t.name === idOrName);
  return found ? store.documents.delete(TOKEN_KIND, found.id) : false;
}

/** The service principal a bearer token stands for, or undefined when it is unknown or revoked. */
export async function principalOfToken(store: Store, token: string): Promise<Principal | undefined> {
  const m = /^clt_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  const doc = await store.documents.get<TokenRecord>(TOKEN_KIND, m[1]!);
  if (!doc || !sameText(doc.value.hash, hashOf(m[2]!))) return undefined;
  return {
    kind: 'service',
    id: `service:${doc.value.name}`,
    name: doc.value.name,
    roles: [],
    scopes: doc.value.scopes,
  };
}

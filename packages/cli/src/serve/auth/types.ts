import type { ROLES } from '@closedloop/config';

/** What a person may do: configured in the directory or mapped from a provider group claim. */
export type Role = (typeof ROLES)[number];
/** What an API token may do. `admin` includes the others. */
export type Scope = 'capture' | 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['capture', 'read', 'write', 'admin'];

/** Who is asking: a signed-in person or a program holding an API token. */
export interface Principal {
  kind: 'person' | 'service';
  /** The person id, or `service:<token name>`: the actor written to the case log. */
  id: string;
  name: string;
  roles: Role[];
  scopes?: Scope[];
}

/**
 * What a route needs: `public` (no one in particular: webhooks with their vendor's signature,
 * health, sign-in), `signedIn` (anyone known), `capture` (send feedback), `read`, `write`
 * (act on cases), `rules` (publish rules), `admin`.
 */
export type Need = 'public' | 'signedIn' | 'capture' | 'read' | 'write' | 'rules' | 'admin';

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
    /** The CSRF token of the session the request came with (browser requests). */
    csrfToken: string;
  }
}

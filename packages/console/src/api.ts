// The console talks to serve only through the JSON API. Who is asking: the signed-in person
// (`GET /v1/me`, with a CSRF token for changes), or, on a server without sign-in, a person picked
// in the dev picker and sent as `X-Closedloop-Actor`.

export interface Me {
  kind: 'person' | 'service';
  id: string;
  name: string;
  roles: string[];
  segments: string[];
  csrfToken?: string;
  can: { read: boolean; write: boolean; editRules: boolean; admin: boolean };
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** An error answer of the API: its code, message (in words) and the fields at fault. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: FieldIssue[];
  readonly details: Record<string, unknown>;
  constructor(
    status: number,
    code: string,
    message: string,
    issues: FieldIssue[],
    details: Record<string, unknown>,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.details = details;
  }
}

interface Session {
  me?: Me;
  /** Set when the server has no sign-in (`/v1/me` is 404): the person picked in the dev picker. */
  devActor?: string;
}
const session: Session = {};
const DEV_KEY = 'closedloop.devActor';

/** Who is asking: the signed-in person, or `dev` (no sign-in on this server) with the picked person. */
export async function loadSession(): Promise<{ me: Me } | { dev: true; actor: string | undefined }> {
  const res = await fetch('/v1/me', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) {
    // Signed out meanwhile (the session expired): sign in again and come back here.
    location.assign(`/auth/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    return new Promise(() => {});
  }
  if (res.status === 404) {
    session.devActor = localStorage.getItem(DEV_KEY) ?? undefined;
    return { dev: true, actor: session.devActor };
  }
  if (!res.ok) throw await errorOf(res);
  session.me = (await res.json()) as Me;
  return { me: session.me };
}

export function setDevActor(id: string): void {
  session.devActor = id;
  localStorage.setItem(DEV_KEY, id);
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; issues?: FieldIssue[]; details?: Record<string, unknown> };
  };
  const e = body.error ?? {};
  return new ApiError(
    res.status,
    e.code ?? `HTTP_${res.status}`,
    e.message ?? `The server answered ${res.status} ${res.statusText}`,
    e.issues ?? [],
    e.details ?? {},
  );
}

/** The headers a request carries: JSON, and who asks (CSRF token or dev actor) on changes. */
export function headersFor(method: string, current: Session = session): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') h['content-type'] = 'application/json';
  if (current.me?.csrfToken && method !== 'GET') h['x-csrf-token'] = current.me.csrfToken;
  if (!current.me && current.devActor) h['x-closedloop-actor'] = current.devActor;
  return h;
}

/** Calls the API; an error answer throws an {@link ApiError}. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headersFor(method),
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

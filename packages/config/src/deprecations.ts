// Keys of the old config dialects, still read for one release: each is moved to its new place
// before validation, with one warning naming the new key.

/** One old key found in a config: where it was and where it goes now. */
export interface Deprecation {
  from: string;
  to: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text a user sees for a deprecation. */
export function deprecationMessage(d: Deprecation): string {
  return `"${d.from}" is deprecated: write "${d.to}" instead (the old key is read until the next release)`;
}

/** Old `closedloop-worker` file keys at the top level, and where they live now. */
const WORKER_KEYS = ['encryption', 'searchAttributes', 'codecCorsOrigin', 'logLevel', 'shutdownGraceTime'];

/**
 * Moves the old keys of `raw` (a parsed config file) to their new places. Returns the new object
 * (the input is not changed) and what was moved.
 */
export function migrateDeprecated(raw: unknown): { value: unknown; deprecations: Deprecation[] } {
  if (!isObj(raw)) return { value: raw, deprecations: [] };
  const found: Deprecation[] = [];
  const c: Obj = structuredClone(raw);
  const worker = (): Obj => {
    if (!isObj(c.worker)) c.worker = {};
    return c.worker as Obj;
  };
  const move = (from: string, to: string, put: (value: unknown) => void) => {
    const key = from.split('.').at(-1)!;
    const owner = from.includes('.') ? c[from.split('.')[0]!] : c;
    if (!isObj(owner) || !(key in owner)) return;
    put(owner[key]);
    delete owner[key];
    found.push({ from, to });
  };

  // The worker's own file (closedloop.worker.json).
  const oldWorkerFile = 'temporal' in c || 'rulesPath' in c || Array.isArray(c.connectors) || 'mirror' in c;
  move('temporal', 'worker.temporal', (v) => {
    worker().temporal = v;
  });
  if (oldWorkerFile) {
    move('http', 'worker.http', (v) => {
      worker().http = v;
    });
  }
  for (const key of WORKER_KEYS) {
    if (!oldWorkerFile && key === 'encryption') continue;
    move(key, `worker.${key}`, (v) => {
      worker()[key] = v;
    });
  }
  move('rulesPath', 'rules', (v) => {
    c.rules = v;
  });
  if (Array.isArray(c.connectors)) {
    const [first] = c.connectors as unknown[];
    const { type: _type, ...email } = isObj(first) ? first : {};
    c.connectors = first === undefined ? {} : { email };
    found.push({ from: 'connectors[]', to: 'connectors.email' });
  }
  move('mirror', 'store', (v) => {
    const pg = isObj(v) && isObj(v.postgres) ? v.postgres : {};
    c.store = { postgres: { urlEnv: 'CLOSEDLOOP_MIRROR_URL', schema: 'closedloop', ...pg } };
  });
  if (isObj(c.reports)) {
    const reports = c.reports;
    move('reports.mail', 'connectors.email', (v) => {
      if (!isObj(c.connectors)) c.connectors = {};
      const connectors = c.connectors as Obj;
      connectors.email ??= v;
    });
    move('reports.schedulePrefix', 'worker.schedulePrefix', (v) => {
      worker().schedulePrefix = v;
    });
    c.reports = reports;
  }

  // serve's SMTP transport: user / userEnv / passwordEnv became the connector's `auth`.
  const email = isObj(c.connectors) ? c.connectors.email : undefined;
  const t = isObj(email) ? email.transport : undefined;
  if (isObj(t) && ('passwordEnv' in t || 'userEnv' in t || 'user' in t)) {
    const user = typeof t.userEnv === 'string' ? { env: t.userEnv } : t.user;
    const pass = typeof t.passwordEnv === 'string' ? { env: t.passwordEnv } : t.passwordEnv;
    for (const k of ['user', 'userEnv', 'passwordEnv'] as const) {
      if (k in t)
        found.push({ from: `connectors.email.transport.${k}`, to: 'connectors.email.transport.auth' });
      delete t[k];
    }
    t.auth = { user, pass };
  }

  // Every `xEnv: "NAME"` became `x: { "env": "NAME" }`.
  const walk = (o: Obj, path: string) => {
    for (const [k, v] of Object.entries(o)) {
      const at = path ? `${path}.${k}` : k;
      if (isObj(v) && k !== 'directory' && k !== 'segments') walk(v, at);
      const m = /^(.+)Env$/.exec(k);
      if (m && typeof v === 'string' && !(m[1]! in o)) {
        o[m[1]!] = { env: v };
        delete o[k];
        found.push({ from: at, to: `${path ? `${path}.` : ''}${m[1]}: { "env": "${v}" }` });
      }
    }
  };
  walk(c, '');
  return { value: c, deprecations: found };
}

// Serves the built console (a static single-page app, packages/console) at `/`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';

/** The console's client-side routes: each answers with the app's index.html. */
const APP_ROUTES = [
  /^\/$/,
  /^\/cases\/?$/,
  /^\/cases\/[^/]+\/?$/,
  /^\/rules\/?$/,
  /^\/rules\/[^/]+\/[^/]+\/?$/,
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The content security policy of the console: scripts and styles from this server only. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** Where the built console is: `dist/console` of the CLI package, from source or from the build. */
export function defaultConsoleDir(): string {
  const url = import.meta.url;
  const here = dirname(fileURLToPath(url));
  return url.endsWith('.ts') ? resolve(here, '../../dist/console') : join(here, 'console');
}

function headers(c: Context, type: string, immutable: boolean): void {
  c.header('content-type', type);
  c.header('content-security-policy', CONSOLE_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>closedloop</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>pnpm run build</code> (it builds packages/console into the CLI package), then reload. The JSON API under <code>/v1</code> works without it.</p></main></body></html>`;

/**
 * `GET /` and the console's routes (`/cases`, `/cases/:id`, `/rules`, `/rules/:kind/:id`) answer
 * with the app; `/assets/*` and other files of the build are served as they are.
 */
export function registerConsole(app: Hono, dir = defaultConsoleDir()): void {
  const root = resolve(dir);
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/v1/') || path === '/v1' || path === '/healthz') return next();
    if (APP_ROUTES.some((r) => r.test(path))) {
      const index = join(root, 'index.html');
      if (!existsSync(index)) {
        headers(c, TYPES['.html']!, false);
        return c.body(NOT_BUILT, 503);
      }
      headers(c, TYPES['.html']!, false);
      return c.body(readFileSync(index, 'utf8'), 200);
    }
    let file: string;
    try {
      file = resolve(root, `.${decodeURIComponent(path)}`);
    } catch {
      return next();
    }
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    headers(c, type, path.startsWith('/assets/'));
    return c.body(new Uint8Array(readFileSync(file)), 200);
  });
}

// Serves the built console (a static single-page app, packages/console) at `/`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';

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
const CONSOLE_CSP =
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
  c.header('referrer-policy', 'same-origin');
  c.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-store');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>closedloop</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>pnpm run build</code> (it builds packages/console into the CLI package), then reload. The JSON API under <code>/v1</code> works without it.</p></main></body></html>`;

/** The console's paths: client routes (answered with index.html) and its built files. */
const CONSOLE_ROUTES = ['/', '/cases', '/cases/:id', '/rules', '/rules/:kind/:id', '/assets/:file'] as const;

/**
 * `GET /` and the console's routes (`/cases`, `/cases/:id`, `/rules`, `/rules/:kind/:id`) answer
 * with the app; `/assets/:file` serves the build's files as they are (cached for a year: their
 * names carry a content hash).
 */
export function registerConsole(app: Hono, dir = defaultConsoleDir()): void {
  const root = resolve(dir);
  const index = (c: Context) => {
    const file = join(root, 'index.html');
    headers(c, TYPES['.html']!, false);
    if (!existsSync(file)) return c.body(NOT_BUILT, 503);
    return c.body(readFileSync(file, 'utf8'), 200);
  };
  // need: read (each of the console's routes)
  for (const path of CONSOLE_ROUTES.slice(0, -1)) app.get(path, index);
  // need: read
  app.get('/assets/:file', (c, next) => {
    const name = c.req.param('file');
    const file = resolve(root, 'assets', name);
    if (!file.startsWith(join(root, 'assets') + sep) || !existsSync(file) || !statSync(file).isFile())
      return next();
    headers(c, TYPES[extname(file)] ?? 'application/octet-stream', true);
    return c.body(new Uint8Array(readFileSync(file)), 200);
  });
}

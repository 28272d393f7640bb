import { escapeHtml as e, type Person } from '@closedloop/core';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:.6rem 1rem;font-weight:600}
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border:1px solid #d5dae0;border-radius:.5rem}
a.button,button{display:inline-block;font:inherit;padding:.5rem 1rem;border-radius:.35rem;border:1px solid #1d3557;background:#1d3557;color:#fff;text-decoration:none;cursor:pointer}
ul{list-style:none;padding:0}li{margin:.4rem 0}.muted{color:#4a5560}
li form button{background:#fff;color:#1d3557;min-width:16rem;text-align:left}`;

/** A small accessible page for the sign-in flow (inline style only: the CSP allows no inline script). */
function authPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)} · closedloop</title><style>${STYLE}</style></head>
<body><header>closedloop</header><main><h1>${e(title)}</h1>${body}</main></body></html>`;
}

export function signInPage(options: {
  oidc: boolean;
  dev: boolean;
  next: string;
  expired?: boolean;
}): string {
  const parts: string[] = [];
  if (options.expired) parts.push('<p role="status">Your session ended. Sign in again to go on.</p>');
  if (options.oidc)
    parts.push(
      `<p><a class="button" href="/auth/login?next=${encodeURIComponent(options.next)}">Sign in with your organisation account</a></p>`,
    );
  if (options.dev)
    parts.push(
      `<p><a class="button" href="/auth/dev?next=${encodeURIComponent(options.next)}">Pick a person (dev mode)</a></p>`,
    );
  return authPage('Sign in', parts.join(''));
}

export function devPage(people: readonly Person[], next: string, formToken: string): string {
  const items = people
    .map(
      (p) =>
        `<li><form method="post" action="/auth/dev"><input type="hidden" name="person" value="${e(p.id)}"><input type="hidden" name="next" value="${e(next)}"><input type="hidden" name="csrf" value="${e(formToken)}"><button>${e(p.name)} <span class="muted">(${e(p.id)})</span></button></form></li>`,
    )
    .join('');
  return authPage(
    'Sign in (dev mode)',
    `<p class="muted">Dev mode: anyone who reaches this loopback address can act as anyone below. Configure OpenID Connect ("auth": { "mode": "oidc" }) before others use this server.</p><ul>${items}</ul>`,
  );
}

export function notMemberPage(): string {
  return authPage(
    'Not a member',
    `<p>You signed in with your provider, but your account is not in this closedloop's directory, so you have no access.</p>
<p>Ask a closedloop admin to add you (with the email address your provider gives) to the directory, then <a href="/auth/signin">sign in again</a>.</p>`,
  );
}

export function signedOutPage(): string {
  return authPage('Signed out', '<p>You are signed out. <a href="/auth/signin">Sign in again</a>.</p>');
}

export function signInFailedPage(): string {
  return authPage(
    'Sign-in did not complete',
    '<p>The answer from your identity provider could not be checked (it may have expired or been used already). <a href="/auth/signin">Try again</a>.</p>',
  );
}

import type { Hono } from 'hono';
import { sameText } from './crypto.ts';
import { type AuthSettings, formToken, safeNext } from './index.ts';
import { devPage } from './pages.ts';
import { newSession, writeSession } from './session.ts';

/**
 * Dev sign-in: a page listing the directory's people, each a button that signs in as them.
 * Only installed in `auth: { mode: "dev" }` (or with no auth section), which the server allows
 * on a loopback address only.
 */
export function registerDevSignIn(app: Hono, s: AuthSettings): void {
  app.get('/auth/dev', (c) => c.html(devPage(s.directory, safeNext(c.req.query('next')), formToken(s))));

  app.post('/auth/dev', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const person = s.directory.find((p) => p.id === form.person);
    if (!sameText(String(form.csrf ?? ''), formToken(s)) || !person)
      return c.json(
        {
          error: {
            code: 'SIGN_IN_REFUSED',
            message: 'Pick a person on the dev sign-in page (/auth/dev)',
            issues: [{ path: 'person', message: 'a person id from the directory' }],
          },
        },
        400,
      );
    writeSession(c, s.sessions, newSession(person.id));
    s.logger('info', 'signed in', { mode: 'dev', person: person.id });
    return c.redirect(safeNext(typeof form.next === 'string' ? form.next : undefined), 303);
  });
}

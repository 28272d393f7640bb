// GDPR routes: erase one customer (art. 17), export what is held about them (art. 15), the
// do-not-contact list, and the unsubscribe link every customer email carries (no login: the
// sealed token in the link is the proof).
import {
  addDoNotContact,
  CustomerRefSchema,
  type EmbeddedClosedLoop,
  isDoNotContact,
  readUnsubscribeToken,
  removeDoNotContact,
} from '@closedloop/core';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { actorOf, HttpError, parseBody, readJson } from './app.ts';

export interface PrivacyRouteDeps {
  loop: EmbeddedClosedLoop;
  /** Seals unsubscribe tokens; without it the unsubscribe routes answer 404. */
  unsubscribeSecret?: string;
}

const EmailBody = z.object({ email: z.email().max(320) }).strict();
const PERSON = 'person ({ "email" } or { "customerId" })';

function page(c: Context, status: 200 | 400, title: string, body: string) {
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`,
    status,
  );
}

export function registerPrivacyRoutes(app: Hono, deps: PrivacyRouteDeps): void {
  const { loop } = deps;
  const docs = loop.store.documents;

  // need: admin
  app.post('/v1/privacy/erase', async (c) => {
    const person = parseBody(CustomerRefSchema, await readJson(c), PERSON);
    return c.json(await loop.privacy.erase(person, { actor: actorOf(c, {}) }));
  });

  // need: admin
  app.post('/v1/privacy/export', async (c) => {
    const person = parseBody(CustomerRefSchema, await readJson(c), PERSON);
    c.header('Cache-Control', 'no-store');
    return c.json(await loop.privacy.export(person));
  });

  // Emails travel in bodies, never in URLs (URLs end up in logs).
  // need: admin
  app.post('/v1/privacy/do-not-contact', async (c) => {
    const { email } = parseBody(EmailBody, await readJson(c), 'do-not-contact entry');
    await addDoNotContact(docs, email, { source: 'api', actor: actorOf(c, {}) });
    return c.json({ listed: true });
  });

  // need: admin
  app.post('/v1/privacy/do-not-contact/remove', async (c) => {
    const { email } = parseBody(EmailBody, await readJson(c), 'do-not-contact entry');
    actorOf(c, {});
    return c.json({ listed: false, removed: await removeDoNotContact(docs, email) });
  });

  // need: admin
  app.post('/v1/privacy/do-not-contact/check', async (c) => {
    const { email } = parseBody(EmailBody, await readJson(c), 'do-not-contact entry');
    return c.json({ listed: await isDoNotContact(docs, email) });
  });

  const tokenOf = (c: Context): string => {
    const secret = deps.unsubscribeSecret;
    if (!secret)
      throw new HttpError('NOT_FOUND', 'Unsubscribe links are not configured (contact.unsubscribe)');
    const t = c.req.query('t') ?? '';
    if (!readUnsubscribeToken(secret, t)) throw new HttpError('INVALID_TOKEN', 'bad token');
    return t;
  };

  // A link checker opening the link must not unsubscribe anyone: GET asks, POST does.
  // need: public
  app.get('/v1/unsubscribe', (c) => {
    let t: string;
    try {
      t = tokenOf(c);
    } catch (e) {
      if (e instanceof HttpError && e.status === 400) {
        return page(
          c,
          400,
          'This link does not work',
          '<p>The unsubscribe link is incomplete or was changed. Use the link from the email, or reply to it.</p>',
        );
      }
      throw e;
    }
    return page(
      c,
      200,
      'Unsubscribe',
      `<p>Stop all emails about your feedback?</p><form method="post" action="/v1/unsubscribe?t=${encodeURIComponent(t)}"><button type="submit">Unsubscribe</button></form>`,
    );
  });

  // One-click (RFC 8058: mail clients POST "List-Unsubscribe=One-Click") and the page's button.
  // need: public
  app.post('/v1/unsubscribe', async (c) => {
    let email: string | undefined;
    try {
      email = readUnsubscribeToken(deps.unsubscribeSecret ?? '', tokenOf(c));
    } catch (e) {
      if (e instanceof HttpError && e.status === 400) {
        return page(
          c,
          400,
          'This link does not work',
          '<p>The unsubscribe link is incomplete or was changed.</p>',
        );
      }
      throw e;
    }
    await addDoNotContact(docs, email!, { source: 'unsubscribe', actor: 'customer' });
    return page(c, 200, 'You are unsubscribed', '<p>We will not email you about your feedback again.</p>');
  });
}

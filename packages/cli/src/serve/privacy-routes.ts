// GDPR routes: erase one customer (art. 17), export what is held about them (art. 15).
import { CustomerRefSchema, type EmbeddedClosedLoop } from '@closedloop/core';
import type { Hono } from 'hono';
import { actorOf, parseBody, readJson } from './app.ts';

export interface PrivacyRouteDeps {
  loop: EmbeddedClosedLoop;
}

export function registerPrivacyRoutes(app: Hono, deps: PrivacyRouteDeps): void {
  const { loop } = deps;

  // need: admin
  app.post('/v1/privacy/erase', async (c) => {
    const person = parseBody(
      CustomerRefSchema,
      await readJson(c),
      'person ({ "email" } or { "customerId" })',
    );
    const result = await loop.privacy.erase(person, { actor: actorOf(c, {}) });
    return c.json(result);
  });

  // need: admin
  app.post('/v1/privacy/export', async (c) => {
    const person = parseBody(
      CustomerRefSchema,
      await readJson(c),
      'person ({ "email" } or { "customerId" })',
    );
    c.header('Cache-Control', 'no-store');
    return c.json(await loop.privacy.export(person));
  });
}

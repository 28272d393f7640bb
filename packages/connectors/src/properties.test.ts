import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderTemplate } from './render.ts';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './webhook.ts';

describe('properties', () => {
  it('an HTML-escaped value never opens a tag or leaves an attribute, whatever the customer wrote', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const inserted = renderTemplate('{{x}}', { x: text }, escapeHtml);
        expect(inserted).not.toMatch(/[<>"']/);
        expect(inserted.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });

  it('inserted values are never rendered as templates', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(renderTemplate('{{a}}', { a: text, b: 'SECRET' })).toBe(text);
      }),
    );
  });

  it('a signed webhook verifies, and any change to the body does not', () => {
    const secret = generateWebhookSecret();
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, extra) => {
        const ts = 1_772_442_000;
        const headers = {
          'webhook-id': 'msg_x',
          'webhook-timestamp': String(ts),
          'webhook-signature': signWebhook(secret, 'msg_x', ts, body),
        };
        expect(verifyWebhook({ secret, headers, body, now: ts * 1000 }).ok).toBe(true);
        expect(verifyWebhook({ secret, headers, body: body + extra, now: ts * 1000 }).ok).toBe(false);
      }),
    );
  });
});

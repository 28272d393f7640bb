import { describe, expect, test } from 'vitest';
import { headersFor, type Me } from './api.ts';

const me: Me = {
  kind: 'person',
  id: 'sara',
  name: 'Sara Spain',
  roles: ['manager'],
  segments: ['spain'],
  csrfToken: 'tok-123',
  can: { read: true, write: true, editRules: false, admin: false },
};

describe('who the console says is asking', () => {
  test('signed in: changes carry the CSRF token, never an actor header; reads carry neither', () => {
    expect(headersFor('PATCH', { me })).toMatchObject({
      'x-csrf-token': 'tok-123',
      'content-type': 'application/json',
    });
    expect(headersFor('PATCH', { me, devActor: 'eva' })['x-closedloop-actor']).toBeUndefined();
    expect(headersFor('GET', { me })['x-csrf-token']).toBeUndefined();
  });

  test('no sign-in on the server (/v1/me is 404): the picked person goes as X-Closedloop-Actor', () => {
    expect(headersFor('POST', { devActor: 'eva' })['x-closedloop-actor']).toBe('eva');
    expect(headersFor('GET', { devActor: 'eva' })['x-closedloop-actor']).toBe('eva');
    expect(headersFor('POST', {})['x-closedloop-actor']).toBeUndefined();
  });
});

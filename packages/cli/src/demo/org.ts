import type { Person, Segment } from '@closedloop/core';

/** A small European retailer: who handles which customers. */
export const demoPeople: Person[] = [
  {
    id: 'eva',
    name: 'Eva Lindqvist',
    email: 'eva.lindqvist@shop.example',
    language: 'en',
    roles: ['cx-director'],
  },
  {
    id: 'marc',
    name: 'Marc Dubois',
    email: 'marc.dubois@shop.example',
    language: 'en',
    roles: ['emea-lead'],
  },
  { id: 'lucia', name: 'Lucía Fernández', email: 'lucia.fernandez@shop.example', language: 'es' },
  { id: 'javier', name: 'Javier Ortega', email: 'javier.ortega@shop.example', language: 'es' },
  { id: 'giulia', name: 'Giulia Bianchi', email: 'giulia.bianchi@shop.example', language: 'it' },
  { id: 'marco', name: 'Marco Ricci', email: 'marco.ricci@shop.example', language: 'it' },
  { id: 'kasia', name: 'Katarzyna Wiśniewska', email: 'katarzyna.wisniewska@shop.example', language: 'pl' },
  { id: 'tom', name: 'Tom Baker', email: 'tom.baker@shop.example', language: 'en' },
  { id: 'olivia', name: 'Olivia Hart', email: 'olivia.hart@shop.example', language: 'en' },
];

/**
 *  global ─┬─ emea ─┬─ spain
 *          │        ├─ italy
 *          │        └─ poland
 *          └─ uk-ie ── business (B2B accounts)
 */
export const demoSegments: Segment[] = [
  { id: 'global', name: 'Global', managers: ['eva'] },
  { id: 'emea', name: 'Continental Europe', parent: 'global', managers: ['marc', 'eva'] },
  { id: 'spain', name: 'Spain', parent: 'emea', managers: ['lucia', 'javier'] },
  { id: 'italy', name: 'Italy', parent: 'emea', managers: ['giulia', 'marco'] },
  { id: 'poland', name: 'Poland', parent: 'emea', managers: ['kasia', 'marc'] },
  { id: 'uk-ie', name: 'UK & Ireland', parent: 'global', managers: ['tom'] },
  { id: 'business', name: 'UK Business accounts', parent: 'uk-ie', managers: ['olivia', 'tom'] },
];

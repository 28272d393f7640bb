// Shared test fixtures: a small organisation and feedback builders. Not exported from the package.

import type { DecisionInput } from '../domain/decision.ts';
import { DecisionSchema } from '../domain/decision.ts';
import type { Feedback } from '../domain/feedback.ts';
import { Directory, SegmentTree } from '../domain/people.ts';
import type { LoopEnv } from './types.ts';

export const people = [
  { id: 'ana', name: 'Ana García', email: 'ana@example.com', language: 'es' },
  { id: 'bob', name: 'Bob Smith', email: 'bob@example.com' },
  { id: 'carla', name: 'Carla Rossi', email: 'carla@example.com', language: 'it' },
  { id: 'dawid', name: 'Dawid Nowak', email: 'dawid@example.com', language: 'pl' },
  { id: 'eve', name: 'Eve Director', email: 'eve@example.com' },
];
/** global ─┬─ emea ─┬─ spain
 *          │        └─ italy ── milan
 *          └─ americas */
export const segments = [
  { id: 'global', name: 'Global', managers: ['eve'] },
  { id: 'emea', name: 'EMEA', parent: 'global', managers: ['bob', 'eve'] },
  { id: 'spain', name: 'Spain', parent: 'emea', managers: ['ana', 'bob'] },
  { id: 'italy', name: 'Italy', parent: 'emea', managers: ['carla'] },
  { id: 'milan', name: 'Milan', parent: 'italy', managers: ['carla', 'dawid'] },
  { id: 'americas', name: 'Americas', parent: 'global', managers: ['bob'] },
];

export function testEnv(): LoopEnv {
  const directory = new Directory(people);
  return { directory, segments: new SegmentTree(segments, directory) };
}

export const T0 = '2026-11-02T09:00:00.000Z';

export function feedback(over: Partial<Feedback> = {}): Feedback {
  return {
    id: 'fb_1',
    source: { tool: 'test', responseId: 'r1' },
    customer: { anonymous: false, email: 'cliente@example.es', name: 'Lucía', segment: 'spain' },
    nps: 3,
    comment: 'El envío llegó tarde',
    language: 'es',
    receivedAt: T0,
    ...over,
  };
}

export function decision(over: Partial<DecisionInput> = {}) {
  return DecisionSchema.parse({
    ruleSetVersion: 'test@1',
    classification: { npsCategory: 'detractor', segment: 'spain' },
    case: { segment: 'spain', priority: 'medium' },
    sla: { firstResponseMinutes: 60, resolutionMinutes: 24 * 60 },
    firedRules: ['detractor-case'],
    ...over,
  });
}

import type { RuleKind } from './types.ts';

/** The event types each kind of rule file may emit. */
export const KIND_EVENTS: Readonly<Record<RuleKind, readonly string[]>> = {
  classify: ['addTopic', 'flag', 'setSegment', 'setValueBand'],
  route: ['openCase', 'thankCustomer', 'resurvey'],
  alert: ['alert'],
  sla: ['setSla'],
  escalate: ['escalationChain'],
};

/** Event types where only the first fired event counts (later rules of that type are shadowed). */
export const FIRST_WINS = new Set([
  'openCase',
  'thankCustomer',
  'resurvey',
  'setSla',
  'escalationChain',
  'setSegment',
  'setValueBand',
]);

// The rules decider inside core's embedded runtime: capture -> classify -> case, version in the log.
import { join } from 'node:path';
import { createClosedLoop, memoryStore } from '@closedloop/core';
import { createRulesDecider } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '../../../examples/rules');
const person = (id: string) => ({ id, name: id, email: `${id}@example.com` });

describe('the rules decider in the embedded runtime', () => {
  it('opens the case the rules decide and records the rule-set version in its log', async () => {
    const decider = createRulesDecider(join(examples, 'cx-program'));
    const loop = createClosedLoop({
      store: memoryStore(),
      decider,
      directory: ['cx-director', 'emea-lead', 'ana', 'luis', 'giulia', 'piotr'].map(person),
      segments: [
        { id: 'all', name: 'All customers', managers: ['cx-director'] },
        { id: 'emea', name: 'EMEA', parent: 'all', managers: ['emea-lead'] },
        { id: 'es', name: 'Spain', parent: 'emea', managers: ['ana', 'luis'] },
        { id: 'es-madrid', name: 'Madrid', parent: 'es', managers: ['ana'] },
        { id: 'it', name: 'Italy', parent: 'emea', managers: ['giulia'] },
        { id: 'pl', name: 'Poland', parent: 'emea', managers: ['piotr'] },
      ],
      autoStart: false,
    });
    try {
      const result = await loop.capture({
        source: { tool: 'test', responseId: 'r-1' },
        customer: { email: 'jan@example.pl', segment: 'pl' },
        nps: 2,
        comment: 'Przesyłka zniszczona',
      });
      expect(result.classification).toMatchObject({ flags: ['red'], topics: ['delivery'] });
      expect(result.case).toMatchObject({ segment: 'pl', owner: 'piotr', priority: 'high' });
      expect(result.case?.audit[0]?.note).toBe(
        `rules ${decider.version}: topic-delivery, red-flag-score, detractor-red-flag, resurvey-detractor, red-flag-alert, delivery-topic-alert, sla-default, escalate-default`,
      );
    } finally {
      await loop.close();
    }
  });
});

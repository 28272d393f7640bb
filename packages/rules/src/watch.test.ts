import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedbackSchema, SegmentTree } from '@closedloop/core';
import { createRulesDecider, loadRuleSet, type RuleIssue, watchRules } from '@closedloop/rules';
import { describe, expect, it } from 'vitest';

const route = (priority: string) =>
  JSON.stringify({
    kind: 'route',
    rules: [{ id: 'all', conditions: { all: [] }, event: { type: 'openCase', params: { priority } } }],
  });
const segments = new SegmentTree([{ id: 'emea', name: 'EMEA', managers: ['lead'] }]);
const fb = FeedbackSchema.parse({
  id: 'f',
  source: { tool: 't', responseId: 'r' },
  receivedAt: '2026-11-20T10:00:00Z',
  customer: { email: 'c@example.com' },
  nps: 3,
});

describe('watchRules', () => {
  it('swaps in a valid change and keeps the running rules on an invalid one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    writeFileSync(join(dir, 'route.json'), route('low'));
    const decider = createRulesDecider(loadRuleSet(dir));
    const v1 = decider.version;
    const errors: (readonly RuleIssue[])[] = [];
    const reloads: string[] = [];
    const watcher = watchRules(
      dir,
      (rs) => {
        reloads.push(rs.version);
        decider.swap(rs);
      },
      { onError: (e) => errors.push(e), debounceMs: 20 },
    );
    try {
      writeFileSync(join(dir, 'route.json'), route('high'));
      await expect.poll(() => reloads.length, { timeout: 5000 }).toBe(1);
      expect(decider.version).not.toBe(v1);
      expect(decider.decide(fb, { segments, now: new Date() })).toMatchObject({ case: { priority: 'high' } });

      const good = decider.version;
      writeFileSync(join(dir, 'route.json'), route('urgent'));
      await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(errors[0]?.[0]).toMatchObject({ pointer: '/rules/0/event/params/priority', line: 1 });
      expect(decider.version).toBe(good);
      expect(decider.decide(fb, { segments, now: new Date() })).toMatchObject({
        ruleSetVersion: good,
        case: { priority: 'high' },
      });
    } finally {
      watcher.close();
    }
  });
});

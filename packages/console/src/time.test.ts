import { describe, expect, test } from 'vitest';
import { fromNow } from './time.ts';
import { type Case, nextDue, slaState } from './types.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const sla = (over: Partial<Case['sla']>): Case['sla'] => ({ breaches: [], escalationLevel: 0, ...over });
const caseWith = (over: Partial<Case>) => ({ status: 'open', sla: sla({}), ...over }) as Case;

describe('SLA state and due times as the inbox shows them', () => {
  test('due within 4 h is "due soon"; past due or a recorded breach is "breached"', () => {
    expect(slaState(caseWith({ sla: sla({ resolutionDue: at(239) }) }), NOW)).toBe('dueSoon');
    expect(slaState(caseWith({ sla: sla({ resolutionDue: at(240) }) }), NOW)).toBe('ok');
    expect(slaState(caseWith({ sla: sla({ resolutionDue: at(-1) }) }), NOW)).toBe('breached');
    expect(
      slaState(
        caseWith({ status: 'resolved', sla: sla({ breaches: [{ kind: 'resolution', at: at(-5) }] }) }),
        NOW,
      ),
    ).toBe('breached');
  });

  test('the next due clock ignores an answered first response and every clock of a resolved case', () => {
    const answered = caseWith({
      sla: sla({ firstResponseDue: at(10), firstRespondedAt: at(1), resolutionDue: at(100) }),
    });
    expect(nextDue(answered)).toBe(at(100));
    expect(nextDue(caseWith({ sla: sla({ firstResponseDue: at(10), resolutionDue: at(100) }) }))).toBe(
      at(10),
    );
    expect(nextDue(caseWith({ status: 'resolved', sla: sla({ resolutionDue: at(100) }) }))).toBeUndefined();
  });

  test('relative times in words', () => {
    expect(fromNow(at(180), NOW)).toBe('in 3 h');
    expect(fromNow(at(-2 * 24 * 60), NOW)).toBe('2 d ago');
    expect(fromNow(at(5), NOW)).toBe('in 5 min');
    expect(fromNow(undefined, NOW)).toBe('');
  });
});

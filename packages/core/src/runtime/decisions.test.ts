import { describe, expect, test } from 'vitest';
import { Directory, SegmentTree } from '../domain/people.ts';
import type { ClosedLoopError } from '../errors.ts';
import { people, segments } from '../machine/fixtures.ts';
import { checkedDecision } from './decisions.ts';

const directory = new Directory(people);
const org = { directory, segments: new SegmentTree(segments, directory) };
const refusal = (raw: unknown) => {
  try {
    checkedDecision(raw, 'rules-v3', org);
  } catch (e) {
    return e as ClosedLoopError;
  }
  throw new Error('the decision was accepted');
};

describe('checkedDecision (both runtimes check a decider’s answer with it)', () => {
  test('a decision routed to a configured segment and a known owner is taken as it is', () => {
    const d = checkedDecision(
      {
        ruleSetVersion: 'rules-v3',
        classification: {},
        case: { segment: 'spain', priority: 'high', owner: 'bob' },
      },
      'rules-v3',
      org,
    );
    expect(d.case).toMatchObject({ segment: 'spain', owner: 'bob' });
  });

  test('an unknown segment is INVALID_DECISION naming the decider and the segments configured', () => {
    const e = refusal({
      ruleSetVersion: 'rules-v3',
      classification: {},
      case: { segment: 'mars', priority: 'low' },
    });
    expect(e.code).toBe('INVALID_DECISION');
    expect(e.message).toMatch(/Decider rules-v3 routed to segment "mars".*known: .*spain/);
    expect(e.issues.map((i) => i.path)).toEqual(['case.segment']);
  });

  test('an owner outside the directory is INVALID_DECISION naming the owner', () => {
    const e = refusal({
      ruleSetVersion: 'rules-v3',
      classification: {},
      case: { segment: 'spain', priority: 'low', owner: 'zed' },
    });
    expect(e.code).toBe('INVALID_DECISION');
    expect(e.message).toContain('"zed"');
    expect(e.issues.map((i) => i.path)).toEqual(['case.owner']);
  });

  test('a malformed decision names the bad field', () => {
    const e = refusal({
      ruleSetVersion: 'rules-v3',
      classification: {},
      case: { segment: 'spain', priority: 'urgent!' },
    });
    expect(e.code).toBe('INVALID_DECISION');
    expect(e.issues.map((i) => i.path)).toContain('case.priority');
  });
});

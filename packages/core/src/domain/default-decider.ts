import { csatCategory, npsCategory } from './classification.ts';
import type { Decider, DecisionInput } from './decision.ts';
import type { Feedback } from './feedback.ts';

export interface DefaultDeciderOptions {
  /** Segment for feedback whose customer names none; defaults to the first root segment. */
  fallbackSegment?: string;
  /** SLA minutes; defaults: first response 24 h, resolution 72 h, round the clock. */
  firstResponseMinutes?: number;
  resolutionMinutes?: number;
}

/**
 * Decides without any rule file: NPS/CSAT category; each detractor (or dissatisfied CSAT) gets a
 * case in the customer's segment, high priority for scores 0–3; promoters are thanked.
 *
 * @example
 * createClosedLoop({ decider: defaultDecider({ fallbackSegment: 'emea' }), ... })
 */
export function defaultDecider(options: DefaultDeciderOptions = {}): Decider {
  return {
    version: 'default@1',
    decide(feedback: Feedback, { segments }): DecisionInput {
      const nps = feedback.nps === undefined ? undefined : npsCategory(feedback.nps);
      const csat = feedback.csat === undefined ? undefined : csatCategory(feedback.csat);
      const fallback =
        options.fallbackSegment ?? segments.all().find((s) => s.parent === undefined)?.id ?? 'default';
      const wanted = feedback.customer.segment;
      const segment = wanted !== undefined && segments.has(wanted) ? wanted : fallback;
      const unhappy = nps === 'detractor' || csat === 'dissatisfied';
      const severe = (feedback.nps !== undefined && feedback.nps <= 3) || feedback.csat === 1;
      return {
        ruleSetVersion: 'default@1',
        classification: {
          npsCategory: nps,
          csatCategory: csat,
          flags: severe ? ['red'] : [],
          topics: [],
          segment,
        },
        case: unhappy ? { segment, priority: severe ? 'high' : 'medium' } : undefined,
        sla: {
          firstResponseMinutes: options.firstResponseMinutes ?? 24 * 60,
          resolutionMinutes: options.resolutionMinutes ?? 72 * 60,
        },
        thankCustomer: nps === 'promoter' ? { template: 'thankYou' } : undefined,
        firedRules: unhappy
          ? ['default:detractor-case']
          : nps === 'promoter'
            ? ['default:thank-promoter']
            : [],
      };
    },
  };
}

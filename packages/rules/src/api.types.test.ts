import type { Decider, DecisionInput } from '@closedloop/core';
import {
  createRulesDecider,
  type createRulesEngine,
  type RuleEvent,
  type RulesDecider,
  validateRuleFile,
} from '@closedloop/rules';
import { describe, expectTypeOf, it } from 'vitest';

describe('public API types', () => {
  it('the rules decider is a core Decider', () => {
    expectTypeOf<RulesDecider>().toExtend<Decider>();
    expectTypeOf(createRulesDecider).returns.toEqualTypeOf<RulesDecider>();
    expectTypeOf<ReturnType<RulesDecider['explain']>['decision']>().toEqualTypeOf<DecisionInput>();
  });

  it('evaluate returns events grouped by priority', () => {
    type Result = ReturnType<ReturnType<typeof createRulesEngine>['evaluate']>;
    expectTypeOf<Result['groups'][number]['events']>().toEqualTypeOf<RuleEvent[]>();
    expectTypeOf<Result['fired']>().toEqualTypeOf<string[]>();
  });

  it('validation is a parse-style result', () => {
    const result = validateRuleFile('{}');
    if (result.ok) expectTypeOf(result.file.rules).toBeArray();
    else expectTypeOf(result.errors[0]!.line).toBeNumber();
  });
});

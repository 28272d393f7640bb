import { defineOperator, type OperatorDefinition } from '@closedloop/rules';
import { describe, expectTypeOf, it } from 'vitest';

describe('defineOperator types', () => {
  it('types evaluate by the fact and value it declares', () => {
    const op = defineOperator<string, number>({
      name: 'longerThan',
      description: 'd',
      evaluate: (fact, value) => {
        expectTypeOf(fact).toEqualTypeOf<string>();
        expectTypeOf(value).toEqualTypeOf<number>();
        return fact.length > value;
      },
    });
    expectTypeOf(op).toEqualTypeOf<OperatorDefinition<string, number>>();
    // @ts-expect-error evaluate must return a boolean
    defineOperator<string, number>({ name: 'x', description: 'd', evaluate: (fact) => fact });
  });
});

// The console is a browser bundle: it cannot import core (its root loads node:sqlite) or serve, so
// it restates core's case lists and the shape of `GET /v1/cases/:id/actions`. This test ties each
// copy to its source, so a new sort column, priority or action flag cannot drift apart.
import { CASE_SORT_COLUMNS, CASE_STATUSES, PRIORITIES } from '@closedloop/core';
import { expect, expectTypeOf, test } from 'vitest';
import {
  PRIORITIES as CONSOLE_PRIORITIES,
  SORT_COLUMNS as CONSOLE_SORT_COLUMNS,
  STATUSES as CONSOLE_STATUSES,
} from '../../../console/src/filters.ts';
import type { CaseActions as ConsoleCaseActions } from '../../../console/src/types.ts';
import type { CaseActions } from './cases-routes.ts';

test("the console's sort columns and priorities are core's, its statuses core's in display order", () => {
  expect(CONSOLE_SORT_COLUMNS).toEqual(CASE_SORT_COLUMNS);
  expect(CONSOLE_PRIORITIES).toEqual(PRIORITIES);
  expect([...CONSOLE_STATUSES].sort()).toEqual([...CASE_STATUSES].sort());
});

test("the console's CaseActions is what the actions route answers", () => {
  expectTypeOf<ConsoleCaseActions>().toEqualTypeOf<CaseActions>();
});

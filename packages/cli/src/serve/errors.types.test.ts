import { ErrorCode } from '@closedloop/core';
import { expect, expectTypeOf, test } from 'vitest';
import { HttpError, STATUS_OF } from './app.ts';

test('every error code of core has an HTTP status, and nothing else does', () => {
  expectTypeOf<keyof typeof STATUS_OF>().toEqualTypeOf<ErrorCode>();
  expect(Object.keys(STATUS_OF).sort()).toEqual(Object.values(ErrorCode).sort());
});

test('an HttpError takes only a listed code, and its status follows from the code', () => {
  // @ts-expect-error 'TEAPOT' is not one of serve's error codes
  expect(new HttpError('TEAPOT', 'short and stout').status).toBeUndefined();
  expect(new HttpError('FORBIDDEN', 'agents see their own cases').status).toBe(403);
  expect(new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send JSON').status).toBe(415);
});

import { expect, test } from 'vitest';
import { redactAddresses } from './redact-addresses.ts';

test('email addresses leave error text, the rest stays', () => {
  expect(redactAddresses('550 5.1.1 <Ana.López+cx@correo.example.es>: Recipient address rejected')).toBe(
    '550 5.1.1 <[address]>: Recipient address rejected',
  );
  expect(redactAddresses('to a@b.it, c@d.pl; from "x" e@f.com')).toBe(
    'to [address], [address]; from "x" [address]',
  );
  expect(redactAddresses('connect ECONNREFUSED 127.0.0.1:25')).toBe('connect ECONNREFUSED 127.0.0.1:25');
});

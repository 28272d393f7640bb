// Email addresses out of error text: a mail server's "550 5.1.1 <ana@example.com>: Recipient
// address rejected" must not reach logs, outbox rows or Temporal histories with the address in it.
// Pure (no Node.js built-ins): Temporal workflows use it too.

const ADDRESS = /[^\s<>()[\]"',;:@]+@[^\s<>()[\]"',;:@]+\.[^\s<>()[\]"',;:@]+/g;

/** The text with every email address replaced by `[address]`. */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS, '[address]');
}

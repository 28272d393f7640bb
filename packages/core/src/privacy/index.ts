// Privacy: erasure (art. 17), access (art. 15), retention and contact consent.

export type { ContactPolicy, CustomerEffect, DoNotContactEntry } from './contact.ts';
export {
  addDoNotContact,
  contactRefusal,
  DO_NOT_CONTACT,
  doNotContactId,
  isCustomerEffect,
  isDoNotContact,
  removeDoNotContact,
} from './contact.ts';
export type { CustomerRecords, CustomerTx, ErasureCounts } from './customer-rows.ts';
export { eraseCustomerRows, findCustomer } from './customer-rows.ts';
export type { CustomerExport, ErasureReceipt, ErasureResult } from './privacy.ts';
export {
  CustomerRefSchema,
  ERASURE_RECEIPTS,
  eraseCustomer,
  exportCustomer,
  listErasureReceipts,
  parseCustomerRef,
} from './privacy.ts';
export type { CustomerRef, PersonIdentifiers } from './redact.ts';
export { ERASED, ERASED_EMAIL, redactDeep, redactText } from './redact.ts';
export type { RetentionOptions, RetentionPolicy, RetentionReport } from './retention.ts';
export { parseRetentionPolicy, runRetention, subtractDuration } from './retention.ts';
export { readUnsubscribeToken, unsubscribeToken, unsubscribeUrl } from './unsubscribe.ts';

import type { CaseSummary } from '@closedloop/core';

/** The one-line title CRM and helpdesk connectors give a case: `[Case CS-…] NPS 3 from Marta`. */
export function caseTitle(c: CaseSummary): string {
  const score = c.nps !== undefined ? `NPS ${c.nps}` : c.csat !== undefined ? `CSAT ${c.csat}` : 'Feedback';
  return `[Case ${c.id}] ${score} from ${c.customerName ?? c.customerEmail ?? `customer ${c.customerId ?? '?'}`}`;
}

/**
 * The customer as people read it in a notification: `Marta <marta@example.com>`, or, for a
 * customer known by id only (an SMS respondent, no email), `Marta (id 123)`.
 */
export function customerInWords(
  c: Pick<CaseSummary, 'customerName' | 'customerEmail' | 'customerId'>,
): string {
  if (c.customerEmail) return c.customerName ? `${c.customerName} <${c.customerEmail}>` : c.customerEmail;
  const id = `id ${c.customerId ?? '?'}`;
  return c.customerName ? `${c.customerName} (${id})` : id;
}

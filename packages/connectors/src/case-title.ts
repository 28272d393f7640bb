import type { CaseSummary } from '@closedloop/core';

/** The one-line title CRM and helpdesk connectors give a case: `[Case CS-…] NPS 3 from Marta`. */
export function caseTitle(c: CaseSummary): string {
  const score = c.nps !== undefined ? `NPS ${c.nps}` : c.csat !== undefined ? `CSAT ${c.csat}` : 'Feedback';
  return `[Case ${c.id}] ${score} from ${c.customerName ?? c.customerEmail}`;
}

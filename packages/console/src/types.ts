/** The case as `GET /v1/cases/:id` answers it. */
export interface Case {
  id: string;
  loopId: string;
  feedbackId: string;
  /** Absent for a customer known by id only (e.g. an SMS respondent). */
  customerEmail?: string;
  customerId?: string;
  customerName?: string;
  segment: string;
  owner: string;
  priority: string;
  status: string;
  feedbackComment: string;
  nps?: number;
  csat?: number;
  language?: string;
  rootCause?: string;
  comments: { id: string; author: string; body: string; at: string }[];
  audit: {
    at: string;
    actor: string;
    action: string;
    field?: string;
    before?: string | number | boolean | null;
    after?: string | number | boolean | null;
    note?: string;
  }[];
  sla: {
    firstResponseDue?: string;
    resolutionDue?: string;
    firstRespondedAt?: string;
    breaches: { kind: 'firstResponse' | 'resolution'; at: string }[];
    escalationLevel: number;
  };
  ruleIds: string[];
  createdAt: string;
  updatedAt: string;
  resolvedAt?: string;
  customerInformedAt?: string;
  version: number;
}

export interface CaseList {
  cases: Case[];
  total: number;
  counts: Record<string, number>;
}

export interface CaseActions {
  state: string;
  actions: string[];
  statuses: string[];
  segments: { id: string; name: string }[];
  escalationSegments: { id: string; name: string }[];
  owners: { id: string; name: string }[];
  canUpdate: boolean;
  canReassign: boolean;
  canComment: boolean;
  canResolve: boolean;
  canInform: boolean;
}

/** The SLA clock still running that is due first. */
export function nextDue(c: Case): string | undefined {
  if (c.status === 'resolved') return undefined;
  const dues: string[] = [];
  if (c.sla.firstResponseDue && !c.sla.firstRespondedAt) dues.push(c.sla.firstResponseDue);
  if (c.sla.resolutionDue) dues.push(c.sla.resolutionDue);
  return dues.sort()[0];
}

/** `breached`, `dueSoon` (within 4 h) or `ok`, at `now`. */
export function slaState(c: Case, now = Date.now()): 'breached' | 'dueSoon' | 'ok' {
  const due = nextDue(c);
  if (c.sla.breaches.length > 0 || (due && Date.parse(due) < now)) return 'breached';
  if (due && Date.parse(due) < now + 4 * 3_600_000) return 'dueSoon';
  return 'ok';
}

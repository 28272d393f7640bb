// A scheduled inner-loop report (R23, R24): one run of one cadence for one audience, started by a
// Temporal Schedule (see `applyReportSchedules`). Its single activity builds the report from the
// mirror and mails it; the report covers the last complete period before the *scheduled* time,
// so a run the schedule catches up (or backfills) late still reports on the period it was for.
import { defineSearchAttributeKey } from '@temporalio/common';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities, SentReport } from '../reports.ts';
import type { ReportWorkflowInput } from './definitions.ts';

/** Set by Temporal on every workflow a Schedule starts. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

const { sendReport } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '10s',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 20,
  },
});

export async function closedLoopReport(input: ReportWorkflowInput): Promise<SentReport> {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START);
  const at = input.at ?? (scheduled ?? info.startTime).toISOString();
  return sendReport({ cadence: input.cadence, audience: input.audience, at });
}

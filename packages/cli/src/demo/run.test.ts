import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '@closedloop/core';
import { expect, test } from 'vitest';
import { runDemo } from './run.ts';

test('the demo runs the whole loop: cases, an SLA escalation, .eml files, a readable summary', {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closedloop-demo-test-'));
  const lines: string[] = [];
  const summary = await runDemo({ dir, responses: 120, speed: 7200, write: (t) => lines.push(t) });
  const output = lines.join('\n');

  expect(summary.captured).toBe(120);
  expect(summary.cases).toBeGreaterThan(10);
  // The two untouched cases climb the whole chain; cases left open may breach their resolution SLA too.
  expect(summary.escalated).toHaveLength(2);
  expect(summary.breaches).toBeGreaterThanOrEqual(4);
  expect(summary.countsByStatus.escalated).toBeGreaterThanOrEqual(2);
  expect(summary.countsByStatus.resolved).toBeGreaterThan(0);

  const emails = readdirSync(summary.mailDir).filter((f) => f.endsWith('.eml'));
  expect(emails).toHaveLength(summary.emails);
  const created = emails
    .map((f) => readFileSync(join(summary.mailDir, f), 'utf8'))
    .find((m) => /^Cc: /m.test(m));
  expect(created, 'a case email with the other managers in CC').toBeDefined();

  // The store on disk holds what the summary says.
  const store = sqliteStore({ path: summary.database });
  expect((await store.listCases({ status: 'escalated' })).total).toBe(summary.countsByStatus.escalated);
  await store.close();

  for (const section of [
    'Capture and classify',
    'Assign and act',
    'SLA breach and escalation',
    'NPS by segment',
    'root causes',
  ]) {
    expect(output).toContain(section);
  }
  // The weekly report, personalised: the director sees everything, a country manager their country.
  expect(summary.reports.map((f) => f.split('/').pop())).toEqual([
    'weekly-eva.html',
    'weekly-marc.html',
    'weekly-lucia.html',
    'weekly-tom.html',
  ]);
  const eva = readFileSync(summary.reports[0]!, 'utf8');
  expect(eva).toContain('<svg');
  expect(eva).toContain('Global');
  expect(readFileSync(summary.reports[2]!, 'utf8')).toContain('Spain');
  const mailed = readdirSync(join(dir, 'reports')).filter((f) => f.endsWith('.eml'));
  expect(mailed).toHaveLength(4);
  expect(output).toMatch(/Lucía Fernández\s+│?\s*Spain/);
  expect(output).toContain('recognised, nothing done twice');
  expect(output).toMatch(/refused the update: .* Allowed: /);
});

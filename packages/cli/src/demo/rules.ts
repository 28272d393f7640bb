// The demo's rule set: what an ops admin of the demo retailer would write, one file per concern.
// Kept as data in a module so the built CLI carries it; `closedloop rules` reads the same format
// from JSON files.
import type { RuleTexts } from '@closedloop/rules';

const words = {
  delivery: [
    'retraso',
    'entrega',
    'envío',
    'ritardo',
    'consegna',
    'spóźn',
    'dostawa',
    'przesyłka',
    'late',
    'delivery',
  ],
  damaged: ['roto', 'danneggiat', 'uszkodz', 'broken', 'damaged'],
  billing: ['cobraron', 'cobro', 'addebito', 'opłat', 'charged', 'billing'],
  refund: ['devolución', 'reembolso', 'rimborso', 'zwrot', 'refund'],
  support: ['nadie', 'no contesta', 'nessuna risposta', 'nie odpowiada', 'never called', 'nobody'],
};

const topic = (id: string, list: string[]) => ({
  id: `topic-${id}`,
  name: `Topic: ${id}`,
  tags: ['topic'],
  conditions: { all: [{ fact: 'comment', operator: 'containsAny', value: list }] },
  event: { type: 'addTopic', params: { topic: id } },
});

const classify = {
  kind: 'classify',
  version: 'demo-1',
  description: 'Topics in four languages, red/yellow flags, value band.',
  rules: [
    ...Object.entries(words).map(([id, list]) => topic(id, list)),
    {
      id: 'red-flag-score',
      name: 'NPS 0–2: call today',
      conditions: { all: [{ fact: 'nps', operator: 'lessThanInclusive', value: 2 }] },
      event: { type: 'flag', params: { flag: 'red' } },
    },
    {
      id: 'yellow-flag-passive-complaint',
      name: 'A passive who complains',
      conditions: {
        all: [
          { fact: 'npsCategory', operator: 'equal', value: 'passive' },
          {
            fact: 'comment',
            operator: 'containsAny',
            value: ['lenta', 'lenta', 'lento', 'slow', 'wolna', 'clunky', 'confusa'],
          },
        ],
      },
      event: { type: 'flag', params: { flag: 'yellow' } },
    },
    {
      id: 'value-high',
      name: 'High-value customer (≥ 15,000 a year)',
      conditions: { all: [{ fact: 'customerValue', operator: 'greaterThanInclusive', value: 15000 }] },
      event: { type: 'setValueBand', params: { band: 'high' } },
    },
  ],
};

const route = {
  kind: 'route',
  version: 'demo-1',
  description: 'A case per detractor in its segment (seed 001); B2B accounts in turn; thanks for promoters.',
  rules: [
    {
      id: 'detractor-high-value',
      name: 'High-value detractor',
      priority: 10,
      conditions: {
        all: [
          { fact: 'npsCategory', operator: 'equal', value: 'detractor' },
          { fact: 'valueBand', operator: 'equal', value: 'high' },
        ],
      },
      event: { type: 'openCase', params: { priority: 'critical' } },
    },
    {
      id: 'detractor-business-pool',
      name: 'B2B detractors go to the account team in turn',
      priority: 8,
      conditions: {
        all: [
          { fact: 'npsCategory', operator: 'equal', value: 'detractor' },
          { fact: 'segment', operator: 'equal', value: 'business' },
        ],
      },
      event: {
        type: 'openCase',
        params: { pool: ['olivia', 'tom'], assign: 'roundRobin', priority: 'high' },
      },
    },
    {
      id: 'detractor-red-flag',
      name: 'Detractor with a red flag',
      priority: 6,
      conditions: {
        all: [
          { fact: 'npsCategory', operator: 'equal', value: 'detractor' },
          { fact: 'flags', operator: 'contains', value: 'red' },
        ],
      },
      event: { type: 'openCase', params: { priority: 'high' } },
    },
    {
      id: 'detractor-case',
      name: 'A case per detractor',
      conditions: { all: [{ fact: 'npsCategory', operator: 'equal', value: 'detractor' }] },
      event: { type: 'openCase', params: { priority: 'medium' } },
    },
    {
      id: 'thank-promoter',
      name: 'Thank promoters',
      conditions: { all: [{ fact: 'npsCategory', operator: 'equal', value: 'promoter' }] },
      event: { type: 'thankCustomer', params: { template: 'thankYou' } },
    },
  ],
};

const alert = {
  kind: 'alert',
  version: 'demo-1',
  description: 'Real-time alerts to the care leads (R16).',
  rules: [
    {
      id: 'red-flag-alert',
      name: 'Red flag: tell the CX director now',
      conditions: { all: [{ fact: 'flags', operator: 'contains', value: 'red' }] },
      event: {
        type: 'alert',
        params: { channel: 'email', template: 'red-flag', recipients: ['eva.lindqvist@shop.example'] },
      },
    },
    {
      id: 'billing-topic-alert',
      name: 'Billing complaints to the finance lead',
      conditions: { all: [{ fact: 'topics', operator: 'matchesTopic', value: 'billing' }] },
      event: {
        type: 'alert',
        params: {
          channel: 'email',
          template: 'topic',
          recipients: ['finance-lead@shop.example'],
          params: { topic: 'billing' },
        },
      },
    },
  ],
};

const sla = {
  kind: 'sla',
  version: 'demo-1',
  description: 'First response in 2 h (1 h for high-value customers), resolution in 8 h, round the clock.',
  rules: [
    {
      id: 'sla-high-value',
      priority: 10,
      conditions: { all: [{ fact: 'valueBand', operator: 'equal', value: 'high' }] },
      event: { type: 'setSla', params: { firstResponseMinutes: 60, resolutionMinutes: 240 } },
    },
    {
      id: 'sla-default',
      conditions: { all: [] },
      event: { type: 'setSla', params: { firstResponseMinutes: 120, resolutionMinutes: 480 } },
    },
  ],
};

const escalate = {
  kind: 'escalate',
  version: 'demo-1',
  description:
    'On a breach: raise priority and warn the segment; four hours later, escalate to the parent segment.',
  rules: [
    {
      id: 'escalate-default',
      conditions: { all: [] },
      event: {
        type: 'escalationChain',
        params: {
          steps: [
            { raisePriority: true, notify: ['owner', 'segmentManagers'], rearmMinutes: 240 },
            { raisePriority: true, escalate: true, notify: ['owner', 'parentManagers'] },
          ],
        },
      },
    },
  ],
};

const text = (o: unknown) => `${JSON.stringify(o, null, 2)}\n`;

/** The demo rules as the texts of five rule files. */
export const demoRuleTexts: RuleTexts = {
  classify: { text: text(classify), fileName: 'demo/classify.json' },
  route: { text: text(route), fileName: 'demo/route.json' },
  alert: { text: text(alert), fileName: 'demo/alert.json' },
  sla: { text: text(sla), fileName: 'demo/sla.json' },
  escalate: { text: text(escalate), fileName: 'demo/escalate.json' },
};

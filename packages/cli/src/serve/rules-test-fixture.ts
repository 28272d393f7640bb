// Rule files the Rules API tests publish.

/** Spanish detractors to Pablo (high), every other detractor a medium case. */
export const routeV1 = {
  kind: 'route',
  rules: [
    {
      id: 'spain-detractor',
      name: 'Spanish detractors go to Pablo',
      priority: 5,
      conditions: {
        all: [
          { fact: 'nps', operator: 'npsCategory', value: 'detractor' },
          { fact: 'segment', operator: 'inSegmentSubtree', value: 'spain' },
        ],
      },
      event: { type: 'openCase', params: { priority: 'high', owner: 'pablo' } },
    },
    {
      id: 'detractor-case',
      conditions: { all: [{ fact: 'nps', operator: 'npsCategory', value: 'detractor' }] },
      event: { type: 'openCase', params: { priority: 'medium' } },
    },
  ],
};

/** The same rules, with Spanish detractors now critical and owned by Sara. */
export const routeV2 = structuredClone(routeV1);
routeV2.rules[0]!.event.params = { priority: 'critical', owner: 'sara' };

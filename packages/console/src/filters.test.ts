import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  apiQuery,
  DEFAULT_VIEW,
  nextDay,
  PAGE_SIZE,
  PRIORITIES,
  SORT_COLUMNS,
  STATUSES,
  searchOfView,
  type View,
  viewFromSearch,
} from './filters.ts';

const utcDayStart = (day: string) => `${day}T00:00:00.000Z`;

describe('inbox view ⇄ URL ⇄ API query', () => {
  const dayArb = fc
    .date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const viewArb: fc.Arbitrary<View> = fc.record(
    {
      scope: fc.constantFrom('mine' as const, 'segments' as const, 'all' as const),
      status: fc.constantFrom(...STATUSES),
      priority: fc.constantFrom(...PRIORITIES),
      segment: fc.constantFrom('spain', 'europe', 'a&b=c'),
      owner: fc.constantFrom('ana', 'bob'),
      sla: fc.constantFrom('dueSoon', 'breached'),
      from: dayArb,
      to: dayArb,
      q: fc.string({ minLength: 1, maxLength: 12 }),
      sort: fc.constantFrom(...SORT_COLUMNS),
      dir: fc.constantFrom('asc' as const, 'desc' as const),
      page: fc.nat({ max: 40 }),
    },
    { requiredKeys: ['scope', 'sort', 'dir', 'page'] },
  );

  test('a view survives the round trip through the URL', () => {
    fc.assert(
      fc.property(viewArb, (view) => {
        expect(viewFromSearch(searchOfView(view))).toEqual(view);
      }),
    );
  });

  test('the default view has an empty URL; junk in the URL falls back to defaults', () => {
    expect(searchOfView(DEFAULT_VIEW)).toBe('');
    expect(viewFromSearch('?sort=shoeSize&dir=up&page=-3&from=yesterday')).toEqual(DEFAULT_VIEW);
  });

  test('API query: scope, filters, days in the viewer zone (to includes its day), sort and page', () => {
    const q = new URLSearchParams(
      apiQuery(
        {
          ...DEFAULT_VIEW,
          scope: 'mine',
          status: 'open',
          from: '2026-03-01',
          to: '2026-03-31',
          q: 'ana',
          page: 2,
        },
        { mySegments: [], dayStart: utcDayStart },
      ),
    );
    expect(q.get('mine')).toBe('1');
    expect(q.get('status')).toBe('open');
    expect(q.get('from')).toBe('2026-03-01T00:00:00.000Z');
    expect(q.get('to')).toBe('2026-04-01T00:00:00.000Z');
    expect(q.get('q')).toBe('ana');
    expect(q.get('offset')).toBe(String(2 * PAGE_SIZE));
    expect(q.get('limit')).toBe(String(PAGE_SIZE));
    expect(q.get('sort')).toBe('updatedAt');
  });

  test('"My segments" asks for each managed segment; a chosen segment wins', () => {
    const mine = new URLSearchParams(
      apiQuery(
        { ...DEFAULT_VIEW, scope: 'segments' },
        { mySegments: ['spain', 'italy'], dayStart: utcDayStart },
      ),
    );
    expect(mine.getAll('segment')).toEqual(['spain', 'italy']);
    const chosen = new URLSearchParams(
      apiQuery(
        { ...DEFAULT_VIEW, scope: 'segments', segment: 'spain' },
        { mySegments: ['spain', 'italy'], dayStart: utcDayStart },
      ),
    );
    expect(chosen.getAll('segment')).toEqual(['spain']);
    const all = new URLSearchParams(
      apiQuery(DEFAULT_VIEW, { mySegments: ['spain'], dayStart: utcDayStart, paged: false }),
    );
    expect(all.has('segment')).toBe(false);
    expect(all.has('limit')).toBe(false);
  });

  test('nextDay crosses months and years', () => {
    expect(nextDay('2026-02-28')).toBe('2026-03-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});

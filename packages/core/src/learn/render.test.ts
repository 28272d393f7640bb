import { describe, expect, it } from 'vitest';
import type { NpsRow } from './analytics.ts';
import { npsTrendSvg, trendAxis } from './render.ts';

const row = (period: string, nps: number | null, ci?: [number, number]): NpsRow => ({
  period,
  group: '',
  responses: nps === null ? 0 : 40,
  promoters: 0,
  passives: 0,
  detractors: 0,
  nps,
  ci: ci ? { low: ci[0], high: ci[1] } : null,
});

/** The y coordinates of the trend's points, in order. */
const pointYs = (svg: string) =>
  [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('the NPS trend chart', () => {
  it('fits its y-axis to the data, so a swing from +10 to −5 is visible', () => {
    const svg = npsTrendSvg([row('2026-01-05', 10, [-60, 70]), row('2026-01-12', -5, [-70, 55])], 560, 200);
    const min = Number(/data-y-min="(-?\d+)"/.exec(svg)?.[1]);
    const max = Number(/data-y-max="(-?\d+)"/.exec(svg)?.[1]);
    expect(min).toBeLessThanOrEqual(-5);
    expect(max).toBeGreaterThanOrEqual(10);
    expect(max - min).toBeLessThanOrEqual(40);
    const [a, b] = pointYs(svg);
    // Plot height is 200 - 10 - 28 = 162: the swing spans more than a third of it.
    expect(b! - a!).toBeGreaterThan(162 / 3);
    // The interval band is clipped to the axis, never drawn outside the plot.
    const band = /<polygon[^>]*points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    for (const y of band) expect(y >= 10 && y <= 172).toBe(true);
  });

  it('keeps at least 20 points of axis for a flat line and stays within −100…+100', () => {
    expect(trendAxis([row('a', 30), row('b', 30)])).toMatchObject({ min: 20, max: 40 });
    const wide = trendAxis([row('a', -100), row('b', 100)]);
    expect([wide.min, wide.max]).toEqual([-100, 100]);
    expect(trendAxis([row('a', null)])).toMatchObject({ min: -100, max: 100 });
  });
});

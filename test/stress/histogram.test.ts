import { describe, expect, it } from 'vitest';
import { countInto, logEdges, logHistogram, sparkline } from '../../src/stress/histogram.js';

describe('log histogram and sparkline', () => {
  it('bins on a log scale from the smallest to the largest value, counting every value once', () => {
    expect(logHistogram([1, 10, 100], 2)).toEqual({ edgesMs: [1, 10, 100], counts: [1, 2] });
    const values = [0, 0.0001, 0.5, 3, 3, 70, 5000];
    const histogram = logHistogram(values, 24);
    expect(histogram?.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(histogram?.edgesMs).toHaveLength(25);
    expect(histogram?.edgesMs[0]).toBe(0.001); // zero has no place on a log axis: drawn at 1 µs
    expect(histogram?.edgesMs[24]).toBe(5000);
  });

  it('gives one value (or equal ones) a bin with a width, and no values no histogram', () => {
    const [lo, hi] = [logEdges([2, 2], 4)?.[0] ?? 0, logEdges([2, 2], 4)?.[4] ?? 0];
    expect(lo).toBeLessThan(2);
    expect(hi).toBeGreaterThan(2);
    expect(logHistogram([], 4)).toBeNull();
  });

  it('counts outliers into the first or last bin of edges made for other values', () => {
    expect(countInto([0.5, 5, 500], [1, 10, 100])).toEqual([2, 1]);
  });

  it('draws one block character per bin, a space for an empty bin, the fullest bin full', () => {
    expect(sparkline([0, 1, 8, 4])).toBe(' ▁█▄');
    expect(sparkline([1, 1000])).toBe('▁█'); // a bin with anything in it is never blank
    expect(sparkline([0, 0])).toBe('  ');
  });
});

import { describe, expect, it } from 'vitest';
import { jsonKey, tableToJson } from '../../src/bench/json.js';
import { num, times, toText } from '../../src/bench/table.js';

describe('bench tables as JSON', () => {
  it('keys keep the unit of their column', () => {
    expect(jsonKey('rows/s')).toBe('rowsPerSec');
    expect(jsonKey('wait p99 µs')).toBe('waitP99Us');
    expect(jsonKey('p50 ms')).toBe('p50Ms');
    expect(jsonKey('µs/op')).toBe('usPerOp');
    expect(jsonKey('rows/s ×')).toBe('rowsPerSecRatio');
    expect(jsonKey('vs raw flockSync')).toBe('vsRawFlockSync');
  });

  it('gives measures as numbers, people the formatted text', () => {
    const table = {
      title: 't',
      columns: ['strategy', 'ops/s', 'vs raw', 'ops/s'],
      rows: [['raw', num(2005.4, 0), times(4.4242), 3]],
      notes: ['n'],
    };
    const json = tableToJson(table);
    expect(json.columns.map((c) => c.key)).toEqual(['strategy', 'opsPerSec', 'vsRaw', 'opsPerSec2']);
    expect(json.rows).toEqual([{ strategy: 'raw', opsPerSec: 2005.4, vsRaw: 4.4242, opsPerSec2: 3 }]);
    expect(
      JSON.parse(JSON.stringify(tableToJson({ ...table, rows: [['x', num(Number.NaN), 1, 2]] }))).rows[0].opsPerSec,
    ).toBeNull();
    expect(toText(table)).toContain('2,005');
    expect(toText(table)).toContain('4.42×');
  });
});

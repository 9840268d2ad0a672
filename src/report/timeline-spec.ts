import type { ChartSpec } from './render-svg.js';
import type { TimelineRows } from './timeline-rows.js';

/** Colours shared by every chart of a report. */
export const COLORS = { hold: '#1f5fa8', wait: '#9ec5ee', failed: '#f28e2b', killed: '#c62828' } as const;

/**
 * The lock timeline: one lane per worker, a dark bar per lock hold, a light thinner bar per wait,
 * orange for failures, a red bar and cross where a worker was SIGKILLed. Aggregated, a hold column's
 * colour deepens with the operations done in it and a wait column's opacity is the share spent waiting.
 * Each layer is named (`holds_marks` … in the SVG) so a test can count the bars drawn.
 */
export function timelineSpec(layout: TimelineRows, domainMs: number, widthPx: number, title: string): ChartSpec {
  const x = {
    field: 'x0',
    type: 'quantitative',
    title: 'ms since writing started',
    scale: { domain: [0, domainMs], nice: false },
  } as const;
  const y = {
    field: 'label',
    type: 'nominal',
    title: null,
    scale: { domain: layout.lanes.map((l) => l.label) },
    axis: { labelFont: 'monospace' },
  } as const;
  const only = (layer: string) => [{ filter: { field: 'layer', equal: layer } }];
  const bar = (layer: string, band: number, color: string, extra: Record<string, unknown> = {}) => ({
    name: layer,
    transform: only(layer),
    mark: { type: 'bar', height: { band }, clip: true, color },
    encoding: { x, x2: { field: 'x1' }, y, description: { field: 'text' }, ...extra },
  });
  const aggregated = layout.aggregated
    ? {
        waits: { opacity: { field: 'value', type: 'quantitative', scale: { domain: [0, 1], range: [0.15, 1] }, legend: null } },
        holds: {
          color: {
            field: 'value',
            type: 'quantitative',
            title: 'done per column',
            // From a mid blue, never near white: a column with one operation must not look like a wait.
            scale: { range: ['#6f9fd8', '#08306b'], zero: false },
          },
        },
      }
    : { waits: {}, holds: {} };
  return {
    title: { text: title, anchor: 'start' },
    width: widthPx,
    height: Math.max(60, layout.lanes.length * 22),
    data: { values: layout.rows },
    layer: [
      bar('waits', 0.35, COLORS.wait, aggregated.waits),
      bar('holds', 0.8, COLORS.hold, aggregated.holds),
      bar('failures', 0.8, COLORS.failed),
      bar('killed', 0.8, COLORS.killed),
      {
        name: 'kills',
        transform: only('kills'),
        mark: { type: 'point', shape: 'cross', filled: true, size: 160, color: COLORS.killed, clip: true },
        encoding: { x, y, description: { field: 'text' } },
      },
    ],
    config: { view: { stroke: '#ddd' } },
  };
}

import { countInto, logEdges } from '../stress/histogram.js';
import type { LatencySummary } from '../stress/report.js';
import type { StressTimeline } from '../stress/timeline.js';
import type { ChartSpec } from './render-svg.js';
import { COLORS } from './timeline-spec.js';

/** One run's samples of a measure, and its percentiles as the table states them. */
export interface MeasureSamples {
  readonly run: string;
  readonly values: readonly number[];
  readonly summary: LatencySummary | null;
}

const HISTOGRAM_BINS = 40;
const CELL_WIDTH = 420;

/**
 * A histogram per run of one measure, on one log-scaled time axis shared by every run (bins too),
 * with p50, p99 and max as rules.
 */
export function histogramSpec(title: string, samples: readonly MeasureSamples[]): ChartSpec | null {
  const edges = logEdges(
    samples.flatMap((s) => s.values),
    HISTOGRAM_BINS,
  );
  if (edges === null) return null;
  const rows: Record<string, unknown>[] = [];
  for (const { run, values, summary } of samples) {
    countInto(values, edges).forEach((count, i) => {
      if (count > 0)
        rows.push({
          run,
          kind: 'bin',
          lo: edges[i],
          hi: edges[i + 1],
          count,
          text: `${count} between ${short(edges[i])} and ${short(edges[i + 1])}`,
        });
    });
    for (const stat of ['p50', 'p99', 'max'] as const) {
      if (summary !== null)
        rows.push({
          run,
          kind: 'stat',
          stat,
          lo: Math.max(summary[stat], edges[0] as number),
          text: `${run} ${stat} ${short(summary[stat])}`,
        });
    }
  }
  const x = {
    field: 'lo',
    type: 'quantitative',
    title: 'ms (log scale)',
    scale: { type: 'log', domain: [edges[0], edges[HISTOGRAM_BINS]], nice: false },
  };
  return {
    title: { text: title, anchor: 'start' },
    data: { values: rows },
    facet: {
      row: {
        field: 'run',
        type: 'nominal',
        title: null,
        sort: samples.map((s) => s.run),
        header: { labelAngle: 0, labelAlign: 'left' },
      },
    },
    spec: {
      width: CELL_WIDTH,
      height: 110,
      layer: [
        {
          name: 'bins',
          transform: [{ filter: { field: 'kind', equal: 'bin' } }],
          mark: { type: 'bar', color: COLORS.hold },
          encoding: {
            x,
            x2: { field: 'hi' },
            y: { field: 'count', type: 'quantitative', title: 'operations' },
            y2: { datum: 0 },
            description: { field: 'text' },
          },
        },
        {
          name: 'stats',
          transform: [{ filter: { field: 'kind', equal: 'stat' } }],
          mark: { type: 'rule', strokeWidth: 2, strokeDash: [4, 2] },
          encoding: {
            x,
            color: {
              field: 'stat',
              type: 'nominal',
              title: null,
              scale: { domain: ['p50', 'p99', 'max'], range: ['#2e7d32', '#f28e2b', COLORS.killed] },
            },
            description: { field: 'text' },
          },
        },
      ],
    },
  };
}

/** A run's timeline, with the lane names the chart shows. */
export interface FairnessRun {
  readonly run: string;
  readonly timeline: StressTimeline;
  readonly labels: readonly string[];
}

/** Per lane, the operations it completed while every lane was still working (until the first one finished). */
export function opsWhileAllRan(timeline: StressTimeline): { ops: number[]; untilMs: number } {
  const lastEnd = new Array<number>(timeline.lanes).fill(0);
  for (const op of timeline.ops) lastEnd[op.lane] = Math.max(lastEnd[op.lane] ?? 0, op.end);
  const untilMs = Math.min(...lastEnd);
  const ops = new Array<number>(timeline.lanes).fill(0);
  for (const op of timeline.ops) {
    if (op.end <= untilMs && (op.kind === 'commit' || op.kind === 'command')) ops[op.lane] = (ops[op.lane] ?? 0) + 1;
  }
  return { ops, untilMs };
}

/** min/max of a list (1 for an empty or all-zero list: nobody was treated worse). */
export function fairness(ops: readonly number[]): number {
  const max = Math.max(0, ...ops);
  return max === 0 ? 1 : Math.min(...ops) / max;
}

/** Bars of each lane's operations while all ran, one panel per run on one scale. */
export function fairnessSpec(runs: readonly FairnessRun[]): ChartSpec {
  const rows = runs.flatMap(({ run, timeline, labels }) => {
    const { ops, untilMs } = opsWhileAllRan(timeline);
    const title = `${run}: min/max ${fairness(ops).toFixed(2)}`;
    return ops.map((count, lane) => ({
      run: title,
      label: labels[lane],
      ops: count,
      text: `${labels[lane]}: ${count} done in the first ${short(untilMs)}`,
    }));
  });
  return {
    data: { values: rows },
    facet: { column: { field: 'run', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 260,
      height: { step: 18 },
      mark: { type: 'bar', color: COLORS.hold },
      encoding: {
        y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelFont: 'monospace' } },
        x: { field: 'ops', type: 'quantitative', title: 'done while all ran' },
        description: { field: 'text' },
      },
    },
  };
}

function short(value: number | undefined): string {
  const v = value ?? 0;
  return v < 10 ? `${Number(v.toPrecision(2))} ms` : `${Math.round(v).toLocaleString('en-US')} ms`;
}

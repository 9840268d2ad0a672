import type { StressReport } from '../stress/report.js';
import type { StressTimeline } from '../stress/timeline.js';
import { dataAttributes, escapeHtml, htmlPage } from './html-page.js';
import { renderSvgs } from './render-svg.js';
import { fairness, fairnessSpec, histogramSpec, type MeasureSamples, opsWhileAllRan } from './stress-charts.js';
import { summaryTable, verdict } from './stress-summary.js';
import { laneLabel, layoutTimeline, type TimelineRows } from './timeline-rows.js';
import { timelineSpec } from './timeline-spec.js';

/** One finished run: its report and who did what when. */
export interface StressRun {
  readonly report: StressReport;
  readonly timeline: StressTimeline;
}

const TIMELINE_WIDTH = 960;

/**
 * The stress report as one self-contained HTML page: the verdict at the top (green or red), the
 * numbers, a lock timeline per run, latency and wait histograms, and per-lane operations. Several
 * runs (`--compare`) share every axis.
 */
export async function renderStressHtml(runs: readonly StressRun[], generatedAt: Date): Promise<string> {
  const first = runs[0]?.report;
  if (first === undefined) throw new RangeError('renderStressHtml needs at least one run');
  const command = first.command !== null;
  const name = (report: StressReport): string => (command ? runName(report) : report.mode);
  // One time axis for every run: the longest one (and any operation that ended after the clock stopped).
  const domainMs = Math.max(1, ...runs.flatMap(({ timeline }) => [timeline.durationMs, ...timeline.ops.map((op) => op.end)]));
  const layouts = runs.map(({ timeline }) => layoutTimeline(timeline, domainMs, TIMELINE_WIDTH, command));
  const measure = (pick: (run: StressRun) => number[], summary: (r: StressReport) => StressReport['lockWaitMs']) =>
    runs.map((run): MeasureSamples => ({ run: name(run.report), values: pick(run), summary: summary(run.report) }));
  const done = (t: StressTimeline) => t.ops.filter((op) => op.kind === 'commit' || op.kind === 'command');
  const latency = measure(
    ({ timeline }) => done(timeline).map((op) => op.end - op.start),
    (r) => r.txnLatencyMs,
  );
  const waits = measure(
    ({ timeline }) => done(timeline).flatMap((op) => (op.waitMs === null ? [] : [op.waitMs])),
    (r) => r.lockWaitMs,
  );
  const specs = [
    ...runs.map((run, i) =>
      timelineSpec(layouts[i] as TimelineRows, domainMs, TIMELINE_WIDTH, `Lock timeline: ${name(run.report)}`),
    ),
    histogramSpec(command ? 'Command time (spawn to exit)' : 'Transaction latency (asking for the lock to COMMIT)', latency),
    histogramSpec(command ? 'Lock wait (reported by dblock exec)' : 'Lock wait (asking to BEGIN)', waits),
    fairnessSpec(
      runs.map(({ report, timeline }) => ({
        run: name(report),
        timeline,
        labels: Array.from({ length: timeline.lanes }, (_, lane) => laneLabel(timeline, lane, command)),
      })),
    ),
  ];
  const svgs = await renderSvgs(specs);
  const svg = (i: number): string => svgs[i] ?? '<p class="note">No samples.</p>';
  const timelines = runs.map((run, i) => timelineFigure(run, layouts[i] as TimelineRows, name(run.report), svg(i)));
  const fair = runs.map(
    ({ report, timeline }) => `${escapeHtml(name(report))} ${fairness(opsWhileAllRan(timeline).ops).toFixed(2)}`,
  );
  const what = command
    ? `${first.workers} lanes × ${first.ops} runs of <code>${escapeHtml((first.command ?? []).join(' '))}</code>`
    : `${first.workers} workers × ${first.ops} transactions × ${first.txnRows} row${first.txnRows === 1 ? '' : 's'}, seed ${first.seed}${first.kills > 0 ? `, ${runs.map((r) => r.report.kills).join('/')} killed` : ''}`;
  const body = `
<h1>dblock stress</h1>
<p class="meta">${what} · ${escapeHtml(generatedAt.toISOString())}</p>
<div class="runs">${runs.map(({ report }) => verdict(report, name(report))).join('\n')}</div>
${summaryTable(
  runs.map((run) => run.report),
  name,
)}
<h2>Who held the lock when</h2>
<p class="note">${
    command
      ? 'One lane per command lane; a bar is one run of the command from spawn to exit (its lock wait happens inside it, after dblock exec starts), orange when it failed.'
      : 'One lane per worker. Dark: holding the lock (from BEGIN to the last statement of the transaction, before its COMMIT); light, thinner: waiting for it; orange: failed; red with a cross: SIGKILLed inside a transaction (then restarted).'
  } Bars narrower than a pixel are drawn a pixel wide; with more operations than fit, each lane is drawn in columns of 3 px: the darker, the more operations ended there.</p>
${timelines.join('\n')}
<h2>Latency</h2>
<figure id="latency">${svg(runs.length)}</figure>
<figure id="lock-wait">${svg(runs.length + 1)}</figure>
<h2>Fairness</h2>
<p class="note">Operations each lane completed while every lane was still working (until the first one finished). min/max: ${fair.join(', ')}.</p>
<figure id="fairness">${svg(runs.length + 2)}</figure>`;
  return htmlPage(`dblock stress: ${runs.map((r) => name(r.report)).join(', ')}`, body);
}

function runName(report: StressReport): string {
  return report.command === null ? report.mode : report.mode === 'unsafe' ? 'unsafe (bare command)' : 'under dblock exec';
}

/** A run's timeline and, folded, its per-lane counts (as data attributes too, for tests and tools). */
function timelineFigure(run: StressRun, layout: TimelineRows, name: string, svg: string): string {
  const drawn = layout.rows.filter((row) => row.layer === 'holds').length;
  const killed = layout.lanes.filter((lane) => lane.killed > 0).length;
  const attrs = dataAttributes({
    mode: run.report.mode,
    lanes: layout.lanes.length,
    aggregated: layout.aggregated,
    columns: layout.columns,
    'hold-bars': drawn,
    holds: layout.lanes.reduce((n, lane) => n + lane.holds, 0),
    kills: layout.lanes.reduce((n, lane) => n + lane.killed, 0),
  });
  const rows = layout.lanes.map(
    (lane) =>
      `<tr${dataAttributes({ lane: lane.lane, holds: lane.holds, failed: lane.failed, killed: lane.killed })}><td>${escapeHtml(lane.label)}</td><td class="num">${lane.holds}</td><td class="num">${lane.failed}</td><td class="num">${lane.killed}</td></tr>`,
  );
  return `<figure class="timeline"${attrs}>${svg}
<figcaption>${escapeHtml(name)}: ${layout.aggregated ? `aggregated into ${layout.columns} columns` : 'one bar per operation'}${killed > 0 ? `; ${killed} worker${killed === 1 ? '' : 's'} killed` : ''}.</figcaption>
<details><summary>Per lane</summary><table class="lanes"><tr><th>lane</th><th>done</th><th>failed</th><th>killed</th></tr>${rows.join('')}</table></details>
</figure>`;
}

import type { StressTimeline, TimelineOp } from '../stress/timeline.js';

/** What a lane did, as the report states it (and as `data-*` attributes, for tests and tools). */
export interface LaneCounts {
  readonly lane: number;
  readonly label: string;
  /** Committed transactions (a command: runs that exited 0). */
  readonly holds: number;
  readonly failed: number;
  readonly killed: number;
}

/** One drawn mark of the timeline chart; `layer` picks its chart layer. Times in ms since the start. */
export interface TimelineRow {
  readonly layer: 'waits' | 'holds' | 'failures' | 'killed' | 'kills';
  readonly label: string;
  readonly x0: number;
  readonly x1: number;
  /** Aggregated: operations in this column (holds, failures) or the share of it spent waiting (waits). */
  readonly value: number;
  readonly text: string;
}

/** The timeline's marks: one per operation, or per lane per column when bars would be crowded. */
export interface TimelineRows {
  readonly rows: TimelineRow[];
  readonly lanes: LaneCounts[];
  readonly aggregated: boolean;
  /** Columns of an aggregated timeline (0 when not aggregated). */
  readonly columns: number;
}

/** Pixels per column of an aggregated timeline. */
const COLUMN_PX = 3;
/** One bar per operation while a lane averages at least this many pixels per operation. */
const MIN_PX_PER_OP = 4;

/** The lane names the chart and tables use. */
export function laneLabel(timeline: StressTimeline, lane: number, command: boolean): string {
  const width = String(timeline.lanes - 1).length;
  return `${command ? 'lane' : 'worker'} ${String(lane).padStart(width, ' ')}`;
}

/**
 * Lay out `timeline` for a plot `widthPx` wide showing 0..`domainMs`. Bars narrower than a pixel are
 * widened to one; when a lane has more operations than fit at MIN_PX_PER_OP, every lane is drawn as
 * columns instead, each holding the lane's operations and its share of waiting in that time.
 */
export function layoutTimeline(timeline: StressTimeline, domainMs: number, widthPx: number, command: boolean): TimelineRows {
  const label = (lane: number): string => laneLabel(timeline, lane, command);
  const lanes = Array.from({ length: timeline.lanes }, (_, lane) => ({
    lane,
    label: label(lane),
    holds: 0,
    failed: 0,
    killed: 0,
  }));
  for (const op of timeline.ops) {
    const counts = lanes[op.lane];
    if (counts === undefined) continue;
    if (op.kind === 'commit' || op.kind === 'command') counts.holds += 1;
    else if (op.kind === 'killed') counts.killed += 1;
    else counts.failed += 1;
  }
  const busiest = Math.max(0, ...lanes.map((l) => l.holds + l.failed + l.killed));
  const aggregated = busiest > widthPx / MIN_PX_PER_OP;
  const kills = timeline.ops.filter((op) => op.kind === 'killed').map((op) => killMarker(op, label(op.lane)));
  if (!aggregated) {
    const msPerPx = domainMs / widthPx;
    const rows = timeline.ops.flatMap((op) => opRows(op, label(op.lane), msPerPx));
    return { rows: [...rows, ...kills], lanes, aggregated, columns: 0 };
  }
  const columns = Math.max(1, Math.floor(widthPx / COLUMN_PX));
  return { rows: [...columnRows(timeline, domainMs, columns, label), ...kills], lanes, aggregated, columns };
}

/** An operation's wait bar and its hold (or failure) bar, each at least a pixel wide. */
function opRows(op: TimelineOp, label: string, msPerPx: number): TimelineRow[] {
  const bar = (layer: TimelineRow['layer'], x0: number, x1: number, text: string): TimelineRow => ({
    layer,
    label,
    x0,
    x1: Math.max(x1, x0 + msPerPx),
    value: 1,
    text: `${label}, op ${op.seq}: ${text}`,
  });
  const began = op.start + (op.waitMs ?? 0);
  const rows: TimelineRow[] = [];
  // A command's wait happened inside it, after dblock exec started: its bar is the whole run.
  if (op.waitMs !== null && op.kind !== 'command' && op.kind !== 'command-failed' && op.waitMs > 0)
    rows.push(bar('waits', op.start, began, `waited ${ms(op.waitMs)}`));
  if (op.kind === 'commit') {
    const held = op.heldMs ?? op.end - began;
    rows.push(
      bar(
        'holds',
        began,
        began + held,
        `held ${ms(held)} to its last statement, then COMMIT (done after ${ms(op.end - op.start)})`,
      ),
    );
  } else if (op.kind === 'command') rows.push(bar('holds', op.start, op.end, `ran ${ms(op.end - op.start)}, exit 0`));
  else if (op.kind === 'killed') rows.push(bar('killed', began, op.end, `held ${ms(op.end - began)}, then SIGKILLed`));
  else rows.push(bar('failures', op.start, op.end, `failed after ${ms(op.end - op.start)}`));
  return rows;
}

function killMarker(op: TimelineOp, label: string): TimelineRow {
  const text = `${label} SIGKILLed inside transaction ${op.seq} at ${ms(op.end)}`;
  return { layer: 'kills', label, x0: op.end, x1: op.end, value: 1, text };
}

/** Per lane and column: operations ending in it (by kind) and the share of it the lane spent waiting. */
function columnRows(timeline: StressTimeline, domainMs: number, columns: number, label: (lane: number) => string): TimelineRow[] {
  const width = domainMs / columns;
  const cells = new Map<string, { lane: number; column: number; holds: number; failures: number; waited: number }>();
  const cell = (lane: number, column: number) => {
    const key = `${lane}:${column}`;
    let found = cells.get(key);
    if (found === undefined) {
      found = { lane, column, holds: 0, failures: 0, waited: 0 };
      cells.set(key, found);
    }
    return found;
  };
  const columnOf = (t: number): number => Math.min(columns - 1, Math.max(0, Math.floor(t / width)));
  for (const op of timeline.ops) {
    const at = cell(op.lane, columnOf(op.end));
    if (op.kind === 'commit' || op.kind === 'command') at.holds += 1;
    else if (op.kind !== 'killed') at.failures += 1;
    if (op.waitMs === null || op.waitMs <= 0 || op.kind === 'command' || op.kind === 'command-failed') continue;
    const [from, to] = [op.start, op.start + op.waitMs];
    for (let c = columnOf(from); c <= columnOf(to); c++) {
      const overlap = Math.min(to, (c + 1) * width) - Math.max(from, c * width);
      if (overlap > 0) cell(op.lane, c).waited += overlap;
    }
  }
  const rows: TimelineRow[] = [];
  for (const { lane, column, holds, failures, waited } of cells.values()) {
    const [x0, x1] = [column * width, (column + 1) * width];
    const span = `${ms(x0)}–${ms(x1)}`;
    const name = label(lane);
    if (waited > 0)
      rows.push({
        layer: 'waits',
        label: name,
        x0,
        x1,
        value: Math.min(1, waited / width),
        text: `${name}, ${span}: waited ${ms(waited)}`,
      });
    if (holds > 0) rows.push({ layer: 'holds', label: name, x0, x1, value: holds, text: `${name}, ${span}: ${holds} done` });
    if (failures > 0)
      rows.push({ layer: 'failures', label: name, x0, x1, value: failures, text: `${name}, ${span}: ${failures} failed` });
  }
  return rows;
}

/** Milliseconds for a label: two significant decimals below 10 ms. */
export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString('en-US')} ms`;
}

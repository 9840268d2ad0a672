import { printable, quoted } from '../util/printable.js';
import type { IntentConflict } from './types.js';

/** A duration as people read it: `850ms`, `12.0s`, `3m04s`, `2h05m`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  const value = Math.max(0, ms);
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  const minutes = Math.floor(value / 60_000);
  if (minutes < 60) return `${minutes}m${String(Math.floor((value % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `task t-1a2b (pid 4121 "node worker.js" on host ci-3, for 12.0s)`, another task's text escaped (printable). */
export function describeOther(conflict: IntentConflict): string {
  const queued = conflict.otherState === 'queued' ? 'queued, ' : '';
  return `task ${printable(conflict.otherTaskId)} (${queued}pid ${conflict.pid} ${quoted(conflict.command)} on host ${printable(conflict.host)}, for ${formatAge(conflict.ageMs)})`;
}

/** `/srv/a.json is claimed by task …` or `/srv/data/a.json is inside /srv/data/, claimed by task …` */
export function describeConflict(conflict: IntentConflict): string {
  const path = printable(conflict.path);
  const where = conflict.path === conflict.otherPath ? path : `${path} overlaps ${printable(conflict.otherPath)},`;
  return `${where} claimed by ${describeOther(conflict)}`;
}

/** `; 2 more conflicts` when there are several. */
export function moreConflicts(count: number): string {
  if (count <= 1) return '';
  return `; ${count - 1} more conflict${count === 2 ? '' : 's'} (dblock intents)`;
}

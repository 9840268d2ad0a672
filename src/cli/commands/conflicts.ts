import { DblockError } from '../../errors.js';
import { listConflicts } from '../../intent/inspect.js';
import { resolveWhere } from '../../intent/options.js';
import type { ConflictRecord } from '../../intent/types.js';
import { parseDuration } from '../../options.js';
import { printable as p, quoted } from '../../util/printable.js';
import type { CommandContext } from '../command-spec.js';
import type { RegistryFlags } from './intents.js';

/** The flags of `dblock conflicts`. */
export interface ConflictsFlags extends RegistryFlags {
  since?: string;
}

/** `dblock conflicts`: the log, oldest first. */
export async function run(ctx: CommandContext, flags: ConflictsFlags): Promise<number> {
  const sinceMs = flags.since === undefined ? 0 : parseSince(flags.since);
  const { registry, result: conflicts } = await listConflicts(resolveWhere(flags.registry, flags.scope), sinceMs);
  const text = conflicts.length === 0 ? 'no conflicts logged' : conflicts.map(formatConflict).join('\n');
  ctx.out.result({ registry, conflicts }, text);
  return 0;
}

/** A duration back from now (`1h`), or a date. */
export function parseSince(value: string, now = Date.now()): number {
  try {
    const ms = parseDuration(value, 'since', 'seconds');
    if (Number.isFinite(ms)) return now - ms;
  } catch {
    // not a duration: maybe a date
  }
  const date = Date.parse(value);
  if (Number.isNaN(date)) {
    throw new DblockError(
      'EUSAGE',
      `Expected \`since\` to be a duration such as 1h or a date such as 2025-06-01T12:00, got \`${value}\``,
    );
  }
  return date;
}

/** `2025-06-01 12:04:31 t-2 (pid 77) /srv/a.json vs t-1 /srv/ (pid 41 "node w.js" on ci-3): refuse → refused` */
function formatConflict(c: ConflictRecord): string {
  const waited = c.waitedMs === null ? '' : ` after ${(c.waitedMs / 1000).toFixed(1)}s`;
  const when = p(c.at.replace('T', ' ').slice(0, 19));
  // Every field but the numbers is text from a shared registry any task writes to: escaped (printable).
  const other = `${p(c.otherTaskId)} ${p(c.otherPath)} (pid ${c.otherPid} ${quoted(c.otherCommand)} on ${p(c.otherHost)})`;
  return `${when} ${p(c.taskId)} (pid ${c.pid}${c.host === null ? '' : ` on ${p(c.host)}`}) ${p(c.path)} vs ${other}: ${p(c.policy)} → ${p(c.outcome)}${waited}`;
}

import { formatAge } from '../../intent/format.js';
import type { IntentListing } from '../../intent/inspect.js';
import { listIntents } from '../../intent/inspect.js';
import { resolveWhere } from '../../intent/options.js';
import { printable, quoted } from '../../util/printable.js';
import type { CommandContext } from '../command-spec.js';

/** Flags of the registry commands (`intents`, `reap`, `conflicts`). */
export interface RegistryFlags {
  registry?: string;
  /** With a postgres:// registry: the shared root that paths are relative to. */
  scope?: string;
}

/** `dblock intents`: the in-flight tasks (dead and expired ones are not in flight, so not shown). */
export async function run(ctx: CommandContext, flags: RegistryFlags): Promise<number> {
  const { registry, result: intents } = await listIntents(resolveWhere(flags.registry, flags.scope));
  const text = intents.length === 0 ? 'no write intents in flight' : intents.map(formatIntent).join('\n');
  ctx.out.result({ registry, intents }, text);
  return 0;
}

/** `t-1a2b admitted pid 4121 on ci-3 for 12.0s, TTL 9m48s left: "node worker.js" → /srv/data/ /srv/a.json` (escaped: printable) */
export function formatIntent(intent: IntentListing): string {
  const ttl = intent.ttlLeftMs === null ? '' : `, TTL ${formatAge(intent.ttlLeftMs)} left`;
  const paths = intent.paths.map(printable).join(' ');
  return `${printable(intent.taskId)} ${printable(intent.state)} pid ${intent.pid} on ${printable(intent.host)} for ${formatAge(intent.ageMs)}${ttl}: ${quoted(intent.command)} → ${paths}`;
}

import { reapIntents } from '../../intent/inspect.js';
import { resolveWhere } from '../../intent/options.js';
import type { CommandContext } from '../command-spec.js';
import { formatIntent, type RegistryFlags } from './intents.js';

/** `dblock reap`: dead (liveness lock free) and expired (TTL) intents out, in one transaction. */
export async function run(ctx: CommandContext, flags: RegistryFlags): Promise<number> {
  const { registry, result: report } = await reapIntents(resolveWhere(flags.registry, flags.scope));
  const lines = report.removed.map((r) => `removed (${r.reason}): ${formatIntent(r)}`);
  if (report.orphans > 0) lines.push(`removed ${report.orphans} orphaned liveness file${report.orphans === 1 ? '' : 's'}`);
  ctx.out.result({ registry, ...report }, lines.length === 0 ? 'nothing to reap' : lines.join('\n'));
  return 0;
}

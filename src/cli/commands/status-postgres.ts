import type { PgHolder } from '../../backend/postgres/holders.js';
import { postgresHolders } from '../../backend/postgres/postgres-backend.js';
import { describeHolder } from '../../errors.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import { printable } from '../../util/printable.js';
import type { CommandContext } from '../command-spec.js';
import type { TargetFlags } from '../target-options.js';

/**
 * `dblock status --backend postgres [--lock NAME | --db P]`: the server's live holders (from `pg_locks`,
 * so a crashed holder is never shown) with their records: pid, host, command, since, name, fence.
 */
export async function runPostgresStatus(ctx: CommandContext, flags: TargetFlags): Promise<'free' | 'shared' | 'exclusive'> {
  const name = flags.lock ?? (flags.db === undefined ? undefined : canonicalizeTarget(flags.db));
  const holders = await postgresHolders(name, { url: flags.url });
  const json = holders.map((h) => ({ ...h, fence: h.fence?.toString() ?? null }));
  const lines =
    holders.length === 0 ? [name === undefined ? 'no dblock locks held' : `${printable(name)}: free`] : holders.map(formatHolder);
  const state = stateOf(holders);
  ctx.out.result({ backend: 'postgres', name: name ?? null, state, holders: json }, lines.join('\n'));
  return state;
}

function stateOf(holders: readonly PgHolder[]): 'free' | 'shared' | 'exclusive' {
  if (holders.length === 0) return 'free';
  return holders.some((h) => h.mode === 'exclusive') ? 'exclusive' : 'shared';
}

function formatHolder(h: PgHolder): string {
  const who =
    h.pid === undefined || h.since === undefined
      ? `server session ${h.backendPid} (no holder record)`
      : describeHolder({ pid: h.pid, host: h.host ?? '?', command: h.command ?? '', since: h.since });
  const fence = h.fence === undefined ? '' : ` fence ${h.fence}`;
  return `${printable(h.name)}: ${h.mode} by ${who}${fence}`; // a name is any string: one visible line
}

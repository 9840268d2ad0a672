import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SLOT_INFIX } from '../../backend/flock-slots.js';
import type { ProbeState } from '../../backend/types.js';
import { DblockError, describeHolder } from '../../errors.js';
import { type IntentListing, listIntents } from '../../intent/inspect.js';
import { isPostgresRegistry } from '../../intent/scope.js';
import { selectBackend } from '../../lock/backends.js';
import { type HolderRecord, readHolder } from '../../lock/holder-record.js';
import { parseStale } from '../../options.js';
import { describeFilesystem } from '../../path/fs-type.js';
import { resolveLockTarget } from '../../path/sidecar-path.js';
import { printable } from '../../util/printable.js';
import { isAlive } from '../../util/process-tree.js';
import type { CommandContext } from '../command-spec.js';
import { describeFdHolders, type FdHolder, flockHolders } from '../lock-holders.js';
import { requireTarget, type TargetFlags } from '../target-options.js';
import { formatIntent } from './intents.js';

/** The state of one lock file as `status` reports it. */
export interface LockStatus {
  lockPath: string;
  state: ProbeState;
  holder: HolderRecord | null;
  /** Processes holding it through a descriptor inherited from the one that took it (Linux, flock backend). */
  inherited: FdHolder[];
}

/** The flags of `dblock status`. */
export interface StatusFlags extends TargetFlags {
  registry?: string;
  /** Exit 1 when any lock of the target is held (a test for scripts), 0 when all are free. */
  check?: boolean;
}

/** With --check: some lock of the target is held. */
const HELD_EXIT = 1;

/**
 * `dblock status`: probe each lock of the target with a non-blocking try. Exits 0 (a report), or
 * with --check 0 when free and 1 when held, like test(1); errors keep their sysexits codes.
 */
export async function run(ctx: CommandContext, flags: StatusFlags): Promise<number> {
  // A server-wide lock table, not files: its own report (and no target needed).
  if (flags.backend === 'postgres') {
    const state = await (await import('./status-postgres.js')).runPostgresStatus(ctx, flags);
    return flags.check === true && state !== 'free' ? HELD_EXIT : 0;
  }
  const { target, options } = requireTarget(flags, 'status');
  const backend = selectBackend(options.backend);
  const spec = { kind: options.exact ? ('lock' as const) : ('db' as const), lockDir: options.lockDir };
  const main = resolveLockTarget(target, { ...spec, sidecar: 'lock' });
  const staleMs = options.stale === undefined ? undefined : parseStale(options.stale);
  const locks = [await probe(main.lockPath)];
  if (!options.exact) locks.push(await probe(resolveLockTarget(target, { ...spec, sidecar: 'init' }).lockPath));
  // `--slots N` holders: each slot is a lock file of its own beside the main one.
  if (backend.name === 'flock') for (const slot of slotFiles(main.lockPath)) locks.push(await probe(slot));
  // flock's reliability depends on where the lock files live, which --lock-dir may move.
  const fs = describeFilesystem(dirname(main.lockPath));
  const filesystem = { type: fs.type, network: fs.network };
  const fsLine = `filesystem: ${fs.type}${fs.network ? ' (network: flock may not exclude other hosts; use --backend mkdir)' : ''}`;
  const intents = await intentsTouching(ctx, main.canonical, flags.registry);
  ctx.out.result(
    { target: main.canonical, backend: backend.name, filesystem, locks, intents },
    [...locks.map(formatStatus), fsLine, ...formatIntents(intents)].join('\n'),
  );
  const held = locks.some((status) => status.state === 'shared' || status.state === 'exclusive');
  return flags.check && held ? HELD_EXIT : 0;

  async function probe(lockPath: string): Promise<LockStatus> {
    const state = await backend.probe(lockPath, { staleMs });
    const holder = state === 'exclusive' ? (readHolder(backend, lockPath) ?? null) : null;
    const held = backend.name === 'flock' && (state === 'shared' || state === 'exclusive');
    return { lockPath, state, holder, inherited: held ? leakedHolders(lockPath) : [] };
  }
}

/**
 * Processes holding `lockPath` through a descriptor inherited from a process that has exited (a
 * daemon a locked command started): /proc/locks names only the pid that called flock(2), so the
 * descriptor scan is what finds them. While the taker runs, its children holding it are expected.
 */
function leakedHolders(lockPath: string): FdHolder[] {
  return flockHolders(lockPath).filter((fd) => fd.pid !== fd.lockedBy && fd.pid !== process.pid && !isAlive(fd.lockedBy));
}

/** The slot files (`<lock>.slot-K`) that exist beside `lockPath`, in slot order. */
function slotFiles(lockPath: string): string[] {
  const prefix = basename(lockPath) + SLOT_INFIX;
  let names: string[];
  try {
    names = readdirSync(dirname(lockPath));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .map((name) => join(dirname(lockPath), name));
}

/** In-flight write intents whose paths cover the target; a broken registry is a warning, not a failed status. */
async function intentsTouching(
  ctx: CommandContext,
  target: string,
  registry: string | undefined,
): Promise<IntentListing[] | null> {
  try {
    if (isPostgresRegistry(registry)) {
      // A local path names nothing in a shared scope: the scope's view is `dblock intents --scope`.
      throw new DblockError(
        'EUSAGE',
        'status reads a SQLite registry; for a postgres one use dblock intents --registry URL --scope S',
      );
    }
    return (await listIntents({ kind: 'sqlite', registry }, { path: target, dir: false })).result;
  } catch (err) {
    if (registry !== undefined) throw err;
    ctx.out.warn(`write intents unknown: ${(err as Error).message}`);
    return null;
  }
}

function formatIntents(intents: IntentListing[] | null): string[] {
  if (intents === null) return [];
  if (intents.length === 0) return ['write intents: none'];
  return intents.map((intent) => `write intent: ${formatIntent(intent)}`);
}

function formatStatus(status: LockStatus): string {
  const line = formatState(status);
  if (status.inherited.length === 0) return line;
  return `${line}\n  through a descriptor inherited by ${describeFdHolders(status.inherited)} from pid ${status.inherited[0]?.lockedBy}, which has exited (start background processes with --close)`;
}

function formatState(status: LockStatus): string {
  const lockPath = printable(status.lockPath); // a path with a newline or an escape stays one visible line
  switch (status.state) {
    case 'absent':
      return `${lockPath}: free (no sidecar yet)`;
    case 'free':
      return `${lockPath}: free`;
    case 'shared':
      return `${lockPath}: held shared`;
    case 'exclusive':
      return `${lockPath}: held exclusive${status.holder === null ? ' (no holder record: e.g. flock(1))' : ` by ${describeHolder(status.holder)}`}`;
  }
}

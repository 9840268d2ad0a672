import type { ProbeState } from '../../backend/types.js';
import { describeHolder, EXIT } from '../../errors.js';
import { selectBackend } from '../../lock/backends.js';
import { type HolderRecord, readHolder } from '../../lock/holder-record.js';
import { parseCliDuration } from '../../options.js';
import { resolveLockTarget } from '../../path/sidecar-path.js';
import { type CheckReport, checkDatabase } from '../../sqlite/check.js';
import type { CommandContext } from '../command-spec.js';
import { type DatabaseFlags, requireDatabase } from '../target-options.js';

/** The flags of `dblock check`. */
export interface CheckFlags extends DatabaseFlags {
  full?: boolean;
  timeout?: string;
}

interface LockState {
  lockPath: string;
  state: ProbeState;
  holder: HolderRecord | null;
}

/** `dblock check`: report on the database (never changing it) and exit 65 if anything failed. */
export async function run(ctx: CommandContext, flags: CheckFlags): Promise<number> {
  const path = requireDatabase(flags, 'check');
  const backend = selectBackend(flags.backend);
  const report = await checkDatabase(path, {
    full: flags.full === true,
    timeout: parseCliDuration(flags.timeout, 'timeout'),
    lockDir: flags.lockDir,
  });
  // A non-blocking try through a separate descriptor: never waits, never holds.
  const locks: LockState[] = await Promise.all(
    (['lock', 'init'] as const).map(async (sidecar) => {
      const { lockPath } = resolveLockTarget(report.path, { sidecar, lockDir: flags.lockDir });
      const state = await backend.probe(lockPath);
      const holder = state === 'exclusive' ? (readHolder(backend, lockPath) ?? null) : null;
      return { lockPath, state, holder };
    }),
  );
  ctx.out.result({ ...report, locks }, formatReport(report, locks));
  return report.ok ? 0 : EXIT.DATAERR;
}

function formatReport(r: CheckReport, locks: LockState[]): string {
  const lines = [`${r.path}: ${r.ok ? 'ok' : 'FAILED'}`];
  const row = (name: string, value: string): void => {
    lines.push(`  ${`${name}:`.padEnd(14)}${value}`);
  };
  row('header', describeHeader(r));
  if (r.journalMode !== null) row('journal mode', r.journalMode);
  if (r.pageCount !== null && r.pageSize !== null) {
    row('pages', `${r.pageCount} × ${r.pageSize} bytes (user_version ${r.userVersion ?? '?'})`);
  }
  const extra = [
    r.walBytes === null ? '' : `; -wal ${bytes(r.walBytes)}`,
    r.journalBytes === null ? '' : `; -journal ${bytes(r.journalBytes)}`,
  ];
  row('file', `${bytes(r.fileBytes)}${extra.join('')}`);
  if (r.walBytes !== null || r.walCheckpoint !== null) row('wal', describeWal(r));
  if (r.integrity !== null) row(r.integrity.check, r.integrity.ok ? 'ok' : 'FAILED');
  if (r.invariant !== null) row('invariant', `${r.invariant.ok ? 'ok' : 'FAILED'}: ${r.invariant.detail}`);
  row('locks', locks.map(describeLock).join('; '));
  for (const problem of r.problems) lines.push(`  problem: ${problem}`);
  return lines.join('\n');
}

function describeHeader(r: CheckReport): string {
  switch (r.header.state) {
    case 'sqlite':
      return `SQLite 3, page size ${r.header.pageSize}${r.header.walFlag ? ', WAL' : ''}`;
    case 'empty':
      return 'empty file (a new database)';
    default:
      return 'NOT a SQLite database';
  }
}

function describeLock(lock: LockState): string {
  const name = lock.lockPath.endsWith('.init.lock') ? '.init.lock' : '.lock';
  if (lock.state !== 'exclusive') return `${name} ${lock.state === 'absent' ? 'free (no sidecar)' : lock.state}`;
  return `${name} held${lock.holder === null ? '' : ` by ${describeHolder(lock.holder)}`}`;
}

/** `-wal` size in human units, and how the last bounded checkpoint (`maxWalBytes`) went. */
function describeWal(r: CheckReport): string {
  const size = `${mebibytes(r.walBytes ?? 0)}`;
  const last = r.walCheckpoint;
  if (last === null) return `${size}; no truncating checkpoint recorded`;
  const by = last.maxWalBytes === null ? 'dblock checkpoint' : `bound ${mebibytes(last.maxWalBytes)}`;
  const when = `at ${last.at} (WAL ${mebibytes(last.walBytes)}, ${by}, pid ${last.pid})`;
  if (!last.blocked) return `${size}; last truncating checkpoint finished ${when}`;
  const copied = last.frames >= 0 ? `; ${last.checkpointed} of ${last.frames} frames copied` : '';
  return `${size}; readers blocked the last checkpoint ${when}${copied}`;
}

function mebibytes(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}

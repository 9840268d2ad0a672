import type { BackendName } from '../../backend/types.js';
import { CHECKPOINT_MODES, DEFAULTS } from '../../defaults.js';
import { DblockError, EXIT } from '../../errors.js';
import { parseChoice, parseCliDuration } from '../../options.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import { checkpointDatabase } from '../../sqlite/checkpoint.js';
import { readHeader } from '../../sqlite/header.js';
import type { CommandContext } from '../command-spec.js';
import { withLockForCommand } from '../lock-wait.js';
import { type DatabaseFlags, requireDatabase } from '../target-options.js';

/** The flags of `dblock checkpoint`. */
export interface CheckpointFlags extends DatabaseFlags {
  mode?: string;
  timeout?: string;
}

/** `dblock checkpoint`: checkpoint under the write lock and report frames and WAL sizes. */
export async function run(ctx: CommandContext, flags: CheckpointFlags): Promise<number> {
  const path = requireDatabase(flags, 'checkpoint');
  const mode = parseChoice('mode', flags.mode?.toLowerCase() ?? DEFAULTS.checkpointMode, CHECKPOINT_MODES);
  const canonical = canonicalizeTarget(path);
  // As checkpointDatabase does: a mistyped path must not leave a sidecar behind.
  if (readHeader(canonical).state === 'missing') throw new DblockError('ENOINPUT', `no such database: ${canonical}`);
  const options = {
    timeout: parseCliDuration(flags.timeout, 'timeout'),
    lockDir: flags.lockDir,
    backend: flags.backend as BackendName | undefined,
  };
  // Taken here to report the wait (-v, the waiting line); the library's own withLock passes through it.
  const report = await withLockForCommand(ctx, canonical, options, () => checkpointDatabase(canonical, { ...options, mode }));
  if (report.journalMode !== 'wal') {
    ctx.out.result(report, `${report.path} is not in WAL mode (${report.journalMode}): nothing to checkpoint`);
    return 0;
  }
  const sizes = `-wal ${report.walBytesBefore.toLocaleString('en-US')} → ${report.walBytesAfter.toLocaleString('en-US')} bytes`;
  ctx.out.result(
    report,
    `${report.path}: checkpointed ${report.checkpointedFrames} of ${report.walFrames} WAL frames (${report.mode}); ${sizes}`,
  );
  if (!report.busy) return 0;
  ctx.out.warn('readers kept the checkpoint from finishing; run it again later');
  return EXIT.TEMPFAIL;
}

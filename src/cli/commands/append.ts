import { DblockError } from '../../errors.js';
import { parseCliDuration } from '../../options.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import type { CommandContext } from '../command-spec.js';
import { lockForCommand } from '../lock-wait.js';
import { refuseDirectory } from '../target-options.js';
import { appendLines } from './append-file.js';
import { readLineBatches } from './append-lines.js';
import { assertAppendable } from './append-target.js';

/** The flags of `dblock append`. */
export interface AppendFlags {
  lock?: string;
  lockDir?: string;
  timeout?: string;
}

/** What `append --json` reports: what it wrote. */
interface AppendReport {
  file: string;
  /** The lock file it took; null when there was nothing to append. */
  lock: string | null;
  lines: number;
  bytes: number;
}

/**
 * `dblock append FILE [LINE]`: each record is one write() of a whole line, under the lock, then fsync.
 * Stdin goes in batches (the lines one read completes), each under the lock; a failed batch is removed
 * whole and earlier batches, already fsynced, stay.
 */
export async function run(ctx: CommandContext, flags: AppendFlags, args: string[]): Promise<number> {
  const [file, line] = args;
  if (file === undefined) throw new DblockError('EUSAGE', 'append needs a FILE');
  const path = canonicalizeTarget(file);
  assertAppendable(file);
  if (flags.lock !== undefined) refuseDirectory(flags.lock, '--lock');
  const target = flags.lock ?? path;
  const lockOptions = {
    exact: flags.lock !== undefined,
    lockDir: flags.lockDir,
    timeout: parseCliDuration(flags.timeout, 'timeout'),
  };
  const report: AppendReport = { file: path, lock: null, lines: 0, bytes: 0 };
  const appendBatch = async (lines: Buffer[]): Promise<void> => {
    const held = await lockForCommand(ctx, target, lockOptions);
    try {
      appendLines(path, lines);
      report.lock = held.lockPath;
      report.lines += lines.length;
      report.bytes += lines.reduce((sum, bytes) => sum + bytes.length, 0);
    } finally {
      held.release();
    }
  };
  if (line !== undefined) {
    await appendBatch([Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8')]);
  } else {
    for await (const lines of readLineBatches(process.stdin as AsyncIterable<Buffer>)) await appendBatch(lines);
  }
  // Only --json prints it: a plain append stays silent, like echo >> FILE.
  if (ctx.out.json) ctx.out.result(report);
  return 0;
}

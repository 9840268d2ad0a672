import { DblockError } from '../../errors.js';
import { parseCliDuration } from '../../options.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import type { CommandContext } from '../command-context.js';
import { lockForCommand } from '../lock-wait.js';
import type { AppendFlags } from './append.js';
import { appendLines } from './append-file.js';
import { readLineBatches } from './append-lines.js';
import { assertAppendable } from './append-target.js';

/**
 * `dblock append FILE [LINE]`: each record is one write() of a whole line, under the lock, then fsync.
 * Stdin goes in batches (the lines one read completes), each under the lock; a failed batch is removed
 * whole and earlier batches, already fsynced, stay.
 */
export async function runAppend(ctx: CommandContext, flags: AppendFlags, args: string[]): Promise<number> {
  const [file, line] = args;
  if (file === undefined) throw new DblockError('EUSAGE', 'append needs a FILE');
  const path = canonicalizeTarget(file);
  assertAppendable(file);
  const target = flags.lock ?? path;
  const lockOptions = {
    exact: flags.lock !== undefined,
    lockDir: flags.lockDir,
    timeout: parseCliDuration(flags.timeout, 'timeout'),
  };
  const appendBatch = async (lines: Buffer[]): Promise<void> => {
    const held = await lockForCommand(ctx, target, lockOptions);
    try {
      appendLines(path, lines);
    } finally {
      held.release();
    }
  };
  if (line !== undefined) {
    await appendBatch([Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8')]);
    return 0;
  }
  for await (const lines of readLineBatches(process.stdin as AsyncIterable<Buffer>)) await appendBatch(lines);
  return 0;
}

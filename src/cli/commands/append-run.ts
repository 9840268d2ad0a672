import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { DblockError, fromSystemError } from '../../errors.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import type { CommandContext } from '../command-context.js';
import { lockForCommand } from '../lock-wait.js';
import type { AppendFlags } from './append.js';

const NEWLINE = 0x0a;

/** `dblock append FILE [LINE]`: each record is one write() of a whole line, under the lock, then fsync. */
export async function runAppend(ctx: CommandContext, flags: AppendFlags, args: string[]): Promise<number> {
  const [file, line] = args;
  if (file === undefined) throw new DblockError('EUSAGE', 'append needs a FILE');
  const path = canonicalizeTarget(file);
  const target = flags.lock ?? path;
  const lockOptions = { exact: flags.lock !== undefined, lockDir: flags.lockDir, timeout: flags.timeout };
  const appendLines = async (lines: Buffer[]): Promise<void> => {
    const held = await lockForCommand(ctx, target, lockOptions);
    try {
      writeLines(path, lines);
    } finally {
      held.release();
    }
  };
  if (line !== undefined) {
    await appendLines([toLine(Buffer.from(line, 'utf8'))]);
    return 0;
  }
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const end = data.lastIndexOf(NEWLINE);
    if (end === -1) {
      pending = data;
      continue;
    }
    pending = data.subarray(end + 1);
    await appendLines(splitLines(data.subarray(0, end + 1)));
  }
  if (pending.length > 0) await appendLines([toLine(pending)]);
  return 0;
}

function toLine(data: Buffer): Buffer {
  return data[data.length - 1] === NEWLINE ? data : Buffer.concat([data, Buffer.from('\n')]);
}

/** Split a buffer that ends with a newline into whole lines, each keeping its newline. */
function splitLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, start)) {
    lines.push(data.subarray(start, at + 1));
    start = at + 1;
  }
  return lines;
}

function writeLines(path: string, lines: Buffer[]): void {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o666);
  } catch (err) {
    throw fromSystemError(err, `cannot open ${path} for appending`, 'ENOINPUT');
  }
  try {
    for (const line of lines) writeWhole(fd, line);
    fsyncSync(fd);
  } catch (err) {
    throw fromSystemError(err, `cannot append to ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** One write() per line; a short write (disk full, signal) continues where it stopped, still under the lock. */
function writeWhole(fd: number, line: Buffer): void {
  let offset = 0;
  while (offset < line.length) offset += writeSync(fd, line, offset, line.length - offset);
}

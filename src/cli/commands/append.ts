import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';

export interface AppendFlags {
  lock?: string;
  lockDir?: string;
  timeout?: string;
}

export function registerAppend(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('append')
    .description('append whole lines to FILE under its lock: one write() per line, then fsync')
    .argument('<file>', 'the regular file to append to (created if missing; not a FIFO, socket or device)')
    .argument('[line]', 'the line to append; without it, each line of stdin')
    .option('--lock <path>', 'use this exact file as the lock (default: FILE.lock)')
    .option('--lock-dir <dir>', 'keep the sidecar in DIR')
    .option('-w, --timeout <duration>', 'how long to wait for the lock (default 30s or DBLOCK_TIMEOUT)')
    .addHelpText(
      'after',
      examples([
        'dblock append runs.jsonl \'{"run":42,"status":"ok"}\'',
        'producer | dblock append events.jsonl',
        'dblock append --lock /tmp/log.lock app.log "started"',
      ]),
    );
  return bindAction<AppendFlags>(command, io, state, async (ctx, flags, args) => {
    const { runAppend } = await import('./append-run.js');
    return runAppend(ctx, flags, args);
  });
}

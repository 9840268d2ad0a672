import type { ChildProcess } from 'node:child_process';
import { DEFAULTS } from '../../defaults.js';
import { DblockError } from '../../errors.js';
import { parseDuration } from '../../options.js';
import { setLongTimeout } from '../../util/bounded-wait.js';
import { commandOf, descendantsOf, isAlive } from '../../util/process-tree.js';
import type { CommandContext } from '../command-spec.js';

/** Exit status after --max-hold stopped CMD, as timeout(1) uses. */
export const MAX_HOLD_EXIT = 124;
const POLL_MS = 50;

/** The parsed `--max-hold D [--kill-after G]`. */
export interface MaxHoldLimit {
  maxHoldMs: number;
  killAfterMs: number;
  /** As the user wrote it, for the message. */
  text: string;
}

/** Parse `--max-hold` and `--kill-after` like --timeout; a cap of 0 or inf is refused (omit the flag instead). */
export function parseMaxHold(maxHold: string | undefined, killAfter: string | undefined): MaxHoldLimit | undefined {
  if (maxHold === undefined) {
    if (killAfter !== undefined) throw new DblockError('EUSAGE', '--kill-after needs --max-hold');
    return undefined;
  }
  const maxHoldMs = parseDuration(maxHold, 'max-hold', 'seconds');
  if (maxHoldMs <= 0 || !Number.isFinite(maxHoldMs)) {
    throw new DblockError('EUSAGE', `Expected \`max-hold\` to be a positive, finite duration such as 10m, got \`${maxHold}\``);
  }
  const killAfterMs = killAfter === undefined ? DEFAULTS.killAfterMs : parseDuration(killAfter, 'kill-after', 'seconds');
  return { maxHoldMs, killAfterMs, text: maxHold };
}

/** A --max-hold watch over one running command. */
export class MaxHoldWatch {
  #fired = false;
  #cancelKill: (() => void) | undefined;
  readonly #cancel: () => void;
  readonly #signalled = new Set<number>();
  readonly #ctx: CommandContext;
  readonly #child: ChildProcess;
  readonly #limit: MaxHoldLimit;

  constructor(ctx: CommandContext, child: ChildProcess, limit: MaxHoldLimit) {
    this.#ctx = ctx;
    this.#child = child;
    this.#limit = limit;
    this.#cancel = setLongTimeout(() => this.#fire(), limit.maxHoldMs);
  }

  /** True once the limit passed and the tree was sent SIGTERM. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Stop watching (CMD ended before the limit). */
  cancel(): void {
    this.#cancel();
  }

  /**
   * After the limit: wait until every signalled process is gone (a descendant that ignores SIGTERM
   * would keep the inherited lock); the SIGKILL timer started at the SIGTERM finishes the stragglers.
   */
  async settle(): Promise<void> {
    if (!this.#fired) return;
    while (this.#alive().length > 0) await sleep(POLL_MS);
    this.#cancelKill?.();
  }

  #kill(): void {
    const left = this.#alive();
    if (left.length === 0) return;
    // Children born during the grace are caught too: the walk runs again at the kill.
    for (const pid of new Set([...left, ...left.flatMap(descendantsOf)])) {
      if (signal(pid, 'SIGKILL')) this.#signalled.add(pid);
    }
    const pids = `${left.length === 1 ? 'pid' : 'pids'} ${left.join(', ')}`;
    this.#ctx.out.warn(`sent SIGKILL to ${pids}: still running ${this.#limit.killAfterMs / 1000}s after SIGTERM`);
  }

  #alive(): number[] {
    return [...this.#signalled].filter(isAlive);
  }

  #fire(): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#fired = true;
    // Collected at the moment of the kill: the tree is whatever CMD has grown into by now.
    const tree = descendantsOf(pid);
    const command = commandOf(pid);
    for (const target of [pid, ...tree]) {
      if (signal(target, 'SIGTERM')) this.#signalled.add(target);
    }
    this.#cancelKill = setLongTimeout(() => this.#kill(), this.#limit.killAfterMs);
    const others = tree.length === 0 ? '' : ` and ${tree.length} ${tree.length === 1 ? 'descendant' : 'descendants'}`;
    this.#ctx.out.warn(`held the lock for ${this.#limit.text} (--max-hold): sent SIGTERM to pid ${pid} (${command})${others}`);
  }
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false; // already gone
  }
}

function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

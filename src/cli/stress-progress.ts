import type { StressProgress } from '../stress/options.js';
import { type CliIo, drawsInPlace } from './output.js';

/** How often plain (non-terminal) progress lines are printed, at most. */
const PLAIN_INTERVAL_MS = 2000;

/** Shows a stress run's progress on stderr. */
export interface ProgressDisplay {
  update(progress: StressProgress): void;
  /** Erase the bar and show the cursor again; later updates draw nothing (safe to call twice). */
  stop(): void;
}

/**
 * A cli-progress bar when stderr is a terminal that can redraw; otherwise (CI logs, TERM=dumb) plain
 * periodic lines, which never contain a carriage return or an escape sequence. Nothing with --quiet.
 */
export async function createProgress(io: CliIo, quiet: boolean): Promise<ProgressDisplay> {
  if (quiet) return { update: () => {}, stop: () => {} };
  if (drawsInPlace(io)) return createBar();
  return createPlainLines(io);
}

async function createBar(): Promise<ProgressDisplay> {
  // Loaded only on a terminal: CI runs never pay for it.
  const { Presets, SingleBar } = await import('cli-progress');
  const bar = new SingleBar(
    {
      format: 'stress |{bar}| {value}/{total} ops | {failed} failed | {kills} killed | {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let state: 'new' | 'drawn' | 'stopped' = 'new';
  return {
    update: (p) => {
      const payload = { failed: p.failed, kills: p.kills };
      if (state === 'new') {
        bar.start(p.total, p.done, payload);
        state = 'drawn';
      } else if (state === 'drawn') bar.update(p.done, payload);
    },
    stop: () => {
      if (state === 'drawn') bar.stop();
      state = 'stopped';
    },
  };
}

function createPlainLines(io: CliIo): ProgressDisplay {
  let last = performance.now();
  let finished = false;
  const line = (p: StressProgress): void => {
    const percent = Math.floor((p.done / p.total) * 100);
    io.stderr(`dblock: stress ${p.done}/${p.total} ops (${percent}%), ${p.failed} failed, ${p.kills} killed\n`);
  };
  return {
    update: (p) => {
      if (finished) return;
      const now = performance.now();
      if (p.done === p.total) {
        finished = true;
        line(p);
      } else if (now - last >= PLAIN_INTERVAL_MS) {
        last = now;
        line(p);
      }
    },
    stop: () => {},
  };
}

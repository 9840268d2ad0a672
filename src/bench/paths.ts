import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/**
 * A benchmark worker script, as tsc emits it (workers are forked by path and never bundled). Found
 * from the package root: the bundled CLI runs the suites from `dist/cli-bundle/chunks/`.
 */
export function benchWorker(name: string): string {
  return join(packageRoot(), 'dist', 'bench', name);
}

/** The CLI entry point, `bin/dblock.js`. */
export const DBLOCK_BIN = join(packageRoot(), 'bin', 'dblock.js');

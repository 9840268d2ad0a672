import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found from wherever this module runs: `dist/bench/` (tsc), a chunk under
 * `dist/cli-bundle/chunks/` (the bundled CLI) or `src/bench/` (tests). Benchmarks fork workers
 * by file path, and the bundle moves this code away from its workers.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`dblock bench: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
}

export const PACKAGE_ROOT = findPackageRoot();

/** A benchmark worker script (tsc's output; workers are never bundled). */
export function benchWorker(name: string): string {
  return join(PACKAGE_ROOT, 'dist', 'bench', name);
}

/** The CLI entry point, `bin/dblock.js`. */
export const DBLOCK_BIN = join(PACKAGE_ROOT, 'bin', 'dblock.js');

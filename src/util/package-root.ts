import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DblockError } from '../errors.js';

let root: string | undefined;

/**
 * dblock's package root: the nearest directory above this module with dblock's package.json. Walking
 * up works from tsc's `dist/stress/`, the CLI bundle's `dist/cli-bundle/chunks/` and `src/` (tests)
 * alike, where a fixed relative URL would break whenever the bundler moves this code to another chunk.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'dblock') {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new DblockError('EINTERNAL', 'cannot find the dblock package root (package.json)');
    dir = parent;
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DblockError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';

export { packageRoot };

/** The stress worker entry point, as tsc emits it. */
export function workerScript(): string {
  const script = join(packageRoot(), 'dist', 'stress', 'worker.js');
  if (!existsSync(script)) throw new DblockError('EINTERNAL', `missing ${script}: run \`npm run build\``);
  return script;
}

/** The `dblock` executable script, for running commands under `dblock exec`. */
export function dblockBin(): string {
  return join(packageRoot(), 'bin', 'dblock.js');
}

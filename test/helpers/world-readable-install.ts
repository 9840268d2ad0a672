import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type Finished, finished, ROOT, startProcess } from './processes.js';
import { tempDir } from './temp-dir.js';

/** Build-only parts of a native package that a running CLI never reads (tens of MB). */
const BUILD_ONLY = new Set(['deps', 'src', 'obj', 'obj.target', '.deps', 'sqlite3.a']);

/**
 * A copy of the built CLI (bin/, dist/, its runtime dependencies) in a world-readable temp dir, so a
 * test can run `dblock` as another user even when the checkout sits where that user cannot read
 * (a clone under /root or `mktemp -d`). Returns the path of its `bin/dblock.js`; removed after the test.
 */
export function worldReadableInstall(): string {
  const dir = tempDir('dblock-install-');
  chmodSync(dir, 0o755);
  for (const part of ['bin', 'dist', 'package.json']) placeTree(join(ROOT, part), join(dir, part), () => false);
  for (const name of runtimePackages()) {
    const from = join(ROOT, 'node_modules', name);
    const native = existsSync(join(from, 'binding.gyp'));
    placeTree(from, join(dir, 'node_modules', name), (entry) => native && BUILD_ONLY.has(entry));
  }
  return join(dir, 'bin', 'dblock.js');
}

/**
 * Place `from` (symlinks followed) at `to`: each file hard-linked (the same bytes and mode, in far less time
 * than a copy of thousands of files), or copied where a link cannot be made (another file system).
 */
function placeTree(from: string, to: string, skip: (entry: string) => boolean): void {
  const stat = statSync(from);
  if (!stat.isDirectory()) {
    placeFile(from, to);
    return;
  }
  mkdirSync(to, { recursive: true });
  chmodSync(to, stat.mode & 0o7777); // as the source, whatever the umask
  for (const entry of readdirSync(from)) {
    if (!skip(entry)) placeTree(join(from, entry), join(to, entry), skip);
  }
}

function placeFile(from: string, to: string): void {
  try {
    linkSync(realpathSync(from), to);
  } catch {
    copyFileSync(from, to);
  }
}

/** The package's dependencies and theirs, as installed (flat, the way npm lays them out). */
function runtimePackages(): Set<string> {
  const seen = new Set<string>();
  const visit = (manifest: string): void => {
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(dependencies)) {
      const own = join(ROOT, 'node_modules', name, 'package.json');
      if (seen.has(name) || !existsSync(own)) continue;
      seen.add(name);
      visit(own);
    }
  };
  visit(join(ROOT, 'package.json'));
  return seen;
}

/**
 * Run `dblock ARGS` as user `uid` from a {@link worldReadableInstall} (made once per test), so the
 * test does not depend on that user being able to read the checkout.
 */
export function runDblockAs(uid: number, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<Finished> {
  installed ??= worldReadableInstall();
  return finished(startProcess(process.execPath, [installed, ...args], { ...options, uid, gid: uid }));
}

let installed: string | undefined;
afterEach(() => {
  installed = undefined; // removed with the test's temp dirs
});

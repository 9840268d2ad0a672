import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DblockError } from '../../src/errors.js';
import { canonicalizeTarget } from '../../src/path/canonicalize.js';
import { resolveLockTarget } from '../../src/path/sidecar-path.js';
import { tempDir } from '../helpers/temp-dir.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DblockError ? err.code : 'not a DblockError';
  }
  return undefined;
}

describe('canonicalizeTarget', () => {
  it('maps every spelling of one file to one path', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'app.db'), '');
    symlinkSync(join(dir, 'data', 'app.db'), join(dir, 'link.db'));
    symlinkSync('data', join(dir, 'datalink'));
    const canonical = canonicalizeTarget(join(dir, 'data', 'app.db'));
    expect(canonicalizeTarget(join(dir, 'link.db'))).toBe(canonical);
    expect(canonicalizeTarget(join(dir, 'datalink', 'app.db'))).toBe(canonical);
    expect(canonicalizeTarget(join(dir, 'data', '..', 'data', 'app.db'))).toBe(canonical);
    expect(canonicalizeTarget('data/app.db', dir)).toBe(canonical);
  });

  it('resolves a file that does not exist yet through its parent', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'alias'));
    expect(canonicalizeTarget(join(dir, 'alias', 'new.db'))).toBe(canonicalizeTarget(join(dir, 'real', 'new.db')));
  });

  it('resolves a dangling symlink to the file SQLite would create', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real', 'future.db'), join(dir, 'dangling.db'));
    symlinkSync('dangling.db', join(dir, 'chain.db'));
    const expected = join(canonicalizeTarget(join(dir, 'real')), 'future.db');
    expect(canonicalizeTarget(join(dir, 'dangling.db'))).toBe(expected);
    expect(canonicalizeTarget(join(dir, 'chain.db'))).toBe(expected);
  });

  it('follows `link/..` physically, as the kernel does', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    symlinkSync(join(dir, 'a', 'b'), join(dir, 'lb'));
    // lb/.. is a (the parent of b), not dir.
    expect(canonicalizeTarget(`${dir}/lb/../x.db`)).toBe(join(canonicalizeTarget(join(dir, 'a')), 'x.db'));
  });

  it('refuses a missing parent directory and symlink loops', () => {
    const dir = tempDir();
    expect(codeOf(() => canonicalizeTarget(join(dir, 'missing', 'app.db')))).toBe('EBADTARGET');
    symlinkSync(join(dir, 'loop2'), join(dir, 'loop1'));
    symlinkSync(join(dir, 'loop1'), join(dir, 'loop2'));
    expect(codeOf(() => canonicalizeTarget(join(dir, 'loop1')))).toBe('EBADTARGET');
    expect(codeOf(() => canonicalizeTarget(''))).toBe('EUSAGE');
  });
});

describe('resolveLockTarget', () => {
  it('derives .lock and .init.lock sidecars, or uses the exact file', () => {
    const dir = tempDir();
    const db = join(canonicalizeTarget(dir), 'app.db');
    expect(resolveLockTarget(db).lockPath).toBe(`${db}.lock`);
    expect(resolveLockTarget(db, { sidecar: 'init' }).lockPath).toBe(`${db}.init.lock`);
    expect(resolveLockTarget(db, { kind: 'lock' }).lockPath).toBe(db);
  });

  it('puts sidecars in --lock-dir under a hashed name that differs per database', () => {
    const dir = tempDir();
    const locks = join(dir, 'locks');
    mkdirSync(locks);
    mkdirSync(join(dir, 'x'));
    const a = resolveLockTarget(join(dir, 'app.db'), { lockDir: locks }).lockPath;
    const b = resolveLockTarget(join(dir, 'x', 'app.db'), { lockDir: locks }).lockPath;
    expect(a).not.toBe(b);
    expect(a.startsWith(canonicalizeTarget(locks))).toBe(true);
    expect(a.endsWith('-app.db.lock')).toBe(true);
    expect(codeOf(() => resolveLockTarget(join(dir, 'app.db'), { lockDir: join(dir, 'nope') }))).toBe('EBADTARGET');
  });
});

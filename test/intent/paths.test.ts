import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DblockError } from '../../src/errors.js';
import { canonicalizeIntentPaths, pathsOverlap } from '../../src/intent/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const file = (path: string) => ({ path, dir: false });
const dir = (path: string) => ({ path, dir: true });

describe('intent paths', () => {
  it('overlap when equal or when a directory is above the other, on component boundaries', () => {
    expect(pathsOverlap(file('/srv/a.json'), file('/srv/a.json'))).toBe(true);
    expect(pathsOverlap(dir('/srv/data'), file('/srv/data/x/y.json'))).toBe(true);
    expect(pathsOverlap(file('/srv/data/x/y.json'), dir('/srv/data'))).toBe(true);
    expect(pathsOverlap(dir('/srv/data'), file('/srv/data'))).toBe(true);
    expect(pathsOverlap(dir('/srv/data'), file('/srv/database'))).toBe(false);
    expect(pathsOverlap(file('/srv/data'), file('/srv/data/x'))).toBe(false);
    expect(pathsOverlap(dir('/'), file('/anything'))).toBe(true);
  });

  it('canonicalize like the lock engine: symlinks, relative spellings, trailing slash or existing directory', () => {
    const root = tempDir();
    mkdirSync(join(root, 'data'));
    symlinkSync(join(root, 'data'), join(root, 'link'));
    const paths = canonicalizeIntentPaths(['link/a.json', './data/../data/a.json', 'data', 'new/', 'deep/er/file.json'], root);
    expect(paths).toEqual([
      { path: join(root, 'data', 'a.json'), dir: false },
      { path: join(root, 'data'), dir: true },
      { path: join(root, 'new'), dir: true },
      { path: join(root, 'deep', 'er', 'file.json'), dir: false },
    ]);
  });

  it('refuse an empty list or an empty path', () => {
    for (const bad of [[], ['']]) {
      try {
        canonicalizeIntentPaths(bad);
        expect.unreachable();
      } catch (err) {
        expect((err as DblockError).code).toBe('EUSAGE');
      }
    }
  });
});

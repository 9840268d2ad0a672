import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

describe('the package as an application installs it', () => {
  it('loads with require() (CommonJS) as well as import', () => {
    const app = tempDir();
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(ROOT, join(app, 'node_modules', 'dblock'));
    const run = (code: string): string => execFileSync(process.execPath, ['-e', code], { cwd: app, encoding: 'utf8' }).trim();
    expect(run("console.log(typeof require('dblock').lock)")).toBe('function');
    expect(run("import('dblock').then((m) => console.log(typeof m.withLock))")).toBe('function');
  });
});

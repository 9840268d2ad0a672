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

  it('exposes a narrow surface: seven functions, the errors and their codes; handle classes as types only', () => {
    const app = tempDir();
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(ROOT, join(app, 'node_modules', 'dblock'));
    const code = "import('dblock').then((m) => console.log(JSON.stringify(Object.keys(m).sort())))";
    const names = JSON.parse(execFileSync(process.execPath, ['-e', code], { cwd: app, encoding: 'utf8' }));
    expect(names).toEqual(
      [
        'DblockError',
        'EXIT',
        'IntentConflictError',
        'LockTimeoutError',
        'checkDatabase',
        'checkpointDatabase',
        'declareIntent',
        'isDblockError',
        'lock',
        'openDatabase',
        'runStress',
        'withLock',
      ].sort(),
    );
  });
});

import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INHERITED_FDS_ENV, inheritedFds, layoutChildFds } from '../../src/cli/inherited-fds.js';
import { BIN, finished, startProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Run a shell line (the bin file runs through its own `#!/bin/sh` line, as from a terminal or npm's shim). */
function shell(line: string, cwd: string) {
  return finished(startProcess('sh', ['-c', line], { cwd }));
}

describe('dblock exec: inherited descriptors', () => {
  it('hands `5>` and `3>` redirects to CMD unchanged and puts the lock on a free number named in DBLOCK_HELD', async () => {
    const dir = tempDir();
    const inner = `echo x >&5; echo y >&3; echo "$DBLOCK_HELD"; echo "[$${INHERITED_FDS_ENV}]"`;
    const result = await shell(`exec 5>f5.txt; exec 3>fd3.txt; exec "${BIN}" exec --db app.db -- sh -c '${inner}'`, dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'f5.txt'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(dir, 'fd3.txt'), 'utf8')).toBe('y\n');
    expect(readFileSync(join(dir, 'app.db.lock'), 'utf8')).not.toContain('y\n');
    const [held, leaked] = result.stdout.trim().split('\n');
    // 3 and 5 are the user's: the lock goes to 4, the lowest free number.
    expect(JSON.parse(held ?? '')).toEqual([{ path: join(dir, 'app.db.lock'), fd: 4, mode: 'exclusive' }]);
    expect(leaked).toBe('[]');
  });

  it('passes them with --close too, and the lock itself not', async () => {
    const dir = tempDir();
    const inner = 'echo x >&3; ls -l /proc/$$/fd | grep -c "app.db.lock"; echo "[$DBLOCK_HELD]"';
    const result = await shell(`exec 3>fd3.txt; "${BIN}" exec --close --db app.db -- sh -c '${inner}'`, dir);
    expect(result.stdout).toBe('0\n[]\n');
    expect(readFileSync(join(dir, 'fd3.txt'), 'utf8')).toBe('x\n');
  });

  it('works through npm’s bin symlink (node_modules/.bin/dblock)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(BIN, join(dir, 'node_modules', '.bin', 'dblock'));
    const result = await shell('exec 7>f7.txt; node_modules/.bin/dblock exec --lock lockfile -- sh -c "echo seven >&7"', dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'f7.txt'), 'utf8')).toBe('seven\n');
  });

  it("keeps make's jobserver descriptors working for a sub-make run under dblock exec", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'Makefile'), 'all: a b\na b:\n\t@echo $@ > $@.out\n');
    // `+`: make hands its jobserver descriptors to this recipe; the sub-make must find them open.
    writeFileSync(join(dir, 'Makefile'), `all:\n\t+@"${BIN}" exec --db app.db -- $(MAKE) --no-print-directory -C sub\n`);
    const result = await shell('make -j2 2>&1', dir);
    expect(result.stdout).not.toMatch(/jobserver unavailable|Bad file descriptor/i);
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'sub', 'a.out'), 'utf8')).toBe('a\n');
  });
});

describe('inheritedFds', () => {
  it('trusts the list only in the process the shell exec’d into', () => {
    const fd = openSync(join(tempDir(), 'f'), 'w');
    try {
      // 0-2 are passed anyway; a closed descriptor and junk are ignored.
      expect(inheritedFds({ [INHERITED_FDS_ENV]: `${process.pid}:0 1 2 ${fd} 99999 x` })).toEqual([fd]);
    } finally {
      closeSync(fd);
    }
    expect(inheritedFds({ [INHERITED_FDS_ENV]: '1:0 1 2' })).toEqual([]);
    expect(inheritedFds({})).toEqual([]);
  });
});

describe('layoutChildFds', () => {
  it('keeps inherited numbers, puts ours on the free ones, and leaves gaps closed', () => {
    expect(layoutChildFds([3, 5], [21, 22])).toEqual({
      stdio: ['inherit', 'inherit', 'inherit', 3, 21, 5, 22],
      numbers: [4, 6],
    });
    expect(layoutChildFds([], [21])).toEqual({ stdio: ['inherit', 'inherit', 'inherit', 21], numbers: [3] });
    expect(layoutChildFds([6], [])).toEqual({
      stdio: ['inherit', 'inherit', 'inherit', 'ignore', 'ignore', 'ignore', 6],
      numbers: [],
    });
    // An ancestor's lock that reached us as inherited descriptor 3 stays at 3.
    expect(layoutChildFds([3], [20, 3]).numbers).toEqual([4, 3]);
  });
});

import { describe, expect, it } from 'vitest';
import { finished, nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startOnTerminal, untilScreen } from '../helpers/terminal.js';

const ESC = '\x1b';
const CLEAR_LINE = `${ESC}[2K`;
const HIDE_CURSOR = `${ESC}[?25l`;
const SHOW_CURSOR = `${ESC}[?25h`;

/** Any escape sequence, or a carriage return that is not the terminal's own \r\n. */
function movesCursor(screen: string): boolean {
  return screen.includes(ESC) || /\r(?!\n)/.test(screen);
}

describe('dblock on a terminal', () => {
  it('Ctrl-C during the stress progress bar erases the bar, shows the cursor and prints the note on a line of its own', async () => {
    const run = startOnTerminal(['stress', '--workers', '2', '--ops', '10000000']);
    const pid = await run.pid();
    await untilScreen(run.screen, /stress \|.*ops/);
    // A typed Ctrl-C reaches the terminal's whole foreground process group: dblock and its workers.
    process.kill(-pid, 'SIGINT');
    const result = await finished(run.child);
    const screen = run.screen();
    expect(result.code).toBe(130);
    expect(screen.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(screen.lastIndexOf(HIDE_CURSOR));
    // What follows the last bar frame starts on a cleared line: no note glued to the bar.
    const afterBar = screen.slice(screen.lastIndexOf(' ops |'));
    const note = afterBar.indexOf('dblock: SIGINT');
    expect(note).toBeGreaterThan(-1);
    const before = afterBar.slice(0, note);
    expect(before.endsWith(CLEAR_LINE) || before.endsWith('\n')).toBe(true);
    expect(afterBar).toContain('stress run stopped by SIGINT');
  }, 60_000);

  it('TERM=dumb: the stress progress comes as plain lines, with no cursor escapes', async () => {
    const run = startOnTerminal(['stress', '--workers', '2', '--ops', '20'], { TERM: 'dumb' });
    const result = await finished(run.child);
    expect(result.code).toBe(0);
    expect(run.screen()).toContain('dblock: stress 40/40 ops (100%)');
    expect(movesCursor(run.screen())).toBe(false);
  }, 60_000);

  it('TERM=dumb: bench prints its steps as plain lines, with no cursor escapes', async () => {
    const run = startOnTerminal(['bench', 'wal', '--quick'], { TERM: 'dumb' });
    const result = await finished(run.child);
    expect(result.code).toBe(0);
    expect(run.screen()).toContain('bench: wal');
    expect(movesCursor(run.screen())).toBe(false);
  }, 120_000);

  it('TERM=dumb: the line saying whom exec waits for is printed once, plainly', async () => {
    const db = `${tempDir()}/app.db`;
    const holder = startFixture('hold-lock', [db]);
    await nextMessage(holder);
    const run = startOnTerminal(['exec', '--db', db, '-w', '2', '--', 'true'], { TERM: 'dumb' });
    const result = await finished(run.child);
    expect(result.code).toBe(75);
    expect(run.screen()).toMatch(/dblock: waiting for .*app\.db\.lock, held by pid/);
    expect(movesCursor(run.screen())).toBe(false);
  }, 60_000);
});

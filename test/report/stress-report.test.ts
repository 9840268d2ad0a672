import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { attr, byClass, descendants, type Element, hasClass, marksOf, networkReferences, parseReport } from './html-tree.js';

const timelines = (root: Element[]): Element[] => root.filter((e) => e.tagName === 'figure' && hasClass(e, 'timeline'));
const laneRows = (figure: Element): Element[] =>
  descendants(figure).filter((e) => e.tagName === 'tr' && attr(e, 'data-lane') !== undefined);
const sumOf = (rows: Element[], name: string): number => rows.reduce((n, row) => n + Number(attr(row, name)), 0);

describe('dblock stress --report', () => {
  it('writes a self-contained page: green verdict, one lane per worker, a hold bar per commit, the killed worker marked', async () => {
    const file = join(tempDir(), 'run.html');
    const run = await runDblock([
      'stress',
      '--workers',
      '3',
      '--ops',
      '6',
      '--kill',
      '1',
      '--seed',
      '4',
      '--report',
      file,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(run.stderr).toContain(`report written to ${file}`);
    const { root } = parseReport(file);
    expect(networkReferences(root)).toEqual([]);
    const [verdict] = byClass(root, 'verdict');
    expect(verdict && hasClass(verdict, 'ok') && attr(verdict, 'data-ok')).toBe('true');

    const [figure, ...others] = timelines(root);
    expect(others).toEqual([]);
    if (figure === undefined) throw new Error('no timeline');
    expect(attr(figure, 'data-lanes')).toBe('3');
    expect(attr(figure, 'data-aggregated')).toBe('false');
    // One drawn bar per committed transaction, and one red cross for the kill.
    expect(marksOf(figure, 'holds')).toHaveLength(report.rowsCommitted);
    expect(Number(attr(figure, 'data-holds'))).toBe(report.rowsCommitted);
    expect(marksOf(figure, 'killed')).toHaveLength(1);
    expect(marksOf(figure, 'kills')).toHaveLength(1);
    const lanes = laneRows(figure);
    expect(lanes.map((row) => attr(row, 'data-lane'))).toEqual(['0', '1', '2']);
    expect(lanes.map((row) => Number(attr(row, 'data-holds')))).toEqual([6, 6, 6]);
    expect(sumOf(lanes, 'data-killed')).toBe(1);
    // The histograms and the fairness bars were drawn.
    for (const id of ['latency', 'lock-wait', 'fairness']) {
      const chart = root.find((e) => attr(e, 'id') === id);
      expect(chart && descendants(chart).some((e) => e.tagName === 'svg')).toBe(true);
    }
  });

  it('aggregates a long run into columns and still accounts for every commit per lane', async () => {
    const file = join(tempDir(), 'long.html');
    const run = await runDblock(['stress', '--workers', '2', '--ops', '300', '--report', file, '--json']);
    expect(run.code).toBe(0);
    const { root } = parseReport(file);
    const [figure] = timelines(root);
    if (figure === undefined) throw new Error('no timeline');
    expect(attr(figure, 'data-aggregated')).toBe('true');
    expect(Number(attr(figure, 'data-holds'))).toBe(600);
    expect(laneRows(figure).map((row) => Number(attr(row, 'data-holds')))).toEqual([300, 300]);
    // Fewer marks than operations (at most one per lane per column), as many as the figure says it drew.
    const drawn = marksOf(figure, 'holds').length;
    expect(drawn).toBe(Number(attr(figure, 'data-hold-bars')));
    expect(drawn).toBeLessThanOrEqual(2 * Number(attr(figure, 'data-columns')));
  });

  it('shows a user command as text, never as markup, with a lane per command lane', async () => {
    const dir = tempDir();
    const target = join(dir, 'target');
    writeFileSync(target, '');
    const file = join(dir, 'cmd.html');
    const hostile = '<img src="http://example.invalid/x.png"><script src="http://example.invalid/x.js"></script>';
    const run = await runDblock([
      'stress',
      '--db',
      target,
      '--workers',
      '2',
      '--ops',
      '2',
      '--report',
      file,
      '--',
      'sh',
      '-c',
      'true',
      hostile,
    ]);
    expect(run.code).toBe(0);
    const { root, html } = parseReport(file);
    expect(networkReferences(root)).toEqual([]);
    expect(root.filter((e) => e.tagName === 'img')).toEqual([]);
    expect(html).toContain('&#60;img src=&#34;http://example.invalid/x.png&#34;&#62;');
    const [figure] = timelines(root);
    if (figure === undefined) throw new Error('no timeline');
    expect(laneRows(figure).map((row) => Number(attr(row, 'data-holds')))).toEqual([2, 2]);
    expect(marksOf(figure, 'holds')).toHaveLength(4);
  });

  it('--compare runs the same workload in each mode and draws them on one time axis', async () => {
    const file = join(tempDir(), 'compare.html');
    const run = await runDblock([
      'stress',
      '--compare',
      'serialized,wal',
      '--workers',
      '2',
      '--ops',
      '5',
      '--report',
      file,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const { runs } = JSON.parse(run.stdout) as { runs: { mode: string; ok: boolean; seed: number }[] };
    expect(runs.map((r) => [r.mode, r.ok])).toEqual([
      ['serialized', true],
      ['wal', true],
    ]);
    expect(runs[0]?.seed).toBe(runs[1]?.seed);
    const { root } = parseReport(file);
    const figures = timelines(root);
    expect(figures.map((f) => attr(f, 'data-mode'))).toEqual(['serialized', 'wal']);
    // Same axis: both end at the same tick label.
    const lastTick = (f: Element): string | undefined => {
      const labels = byClass(descendants(f), 'role-axis-label').flatMap((g) =>
        descendants(g).filter((e) => e.tagName === 'text'),
      );
      return labels.map((t) => t.childNodes.map((c) => ('value' in c ? c.value : '')).join('')).at(-1);
    };
    expect(lastTick(figures[0] as Element)).toBe(lastTick(figures[1] as Element));
    expect(byClass(root, 'verdict').map((v) => attr(v, 'data-mode'))).toEqual(['serialized', 'wal']);
  });

  it('refuses a report in a missing directory before running anything (exit 73), and --compare with --mode (64)', async () => {
    const dir = tempDir();
    const missing = await runDblock(['stress', '--workers', '2', '--ops', '2', '--report', join(dir, 'nope', 'r.html')]);
    expect(missing.code).toBe(73);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).not.toContain('stress 1/');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const both = await runDblock(['stress', '--mode', 'wal', '--compare', 'wal,unsafe']);
    expect(both.code).toBe(64);
    const unknown = await runDblock(['stress', '--compare', 'serialized,fast']);
    expect(unknown.code).toBe(64);
    // wal needs the built-in workload: refused before the serialized run, not after it.
    const walCommand = await runDblock(['stress', '--compare', 'serialized,wal', '--workers', '1', '--ops', '1', '--', 'true']);
    expect(walCommand.code).toBe(64);
    expect(walCommand.stdout).toBe('');
  });

  it('on a full disk exits 73 and leaves the previous report byte for byte, with no temporary file', async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', dir]);
    try {
      const file = join(dir, 'run.html');
      writeFileSync(file, 'previous report\n');
      const run = await runDblock(['stress', '--workers', '2', '--ops', '3', '--report', file]);
      expect(run.code).toBe(73);
      expect(run.stderr).toMatch(/cannot write the report .*ENOSPC/);
      expect(run.stdout).toContain('result           OK'); // the run itself verified and was printed
      expect(readFileSync(file, 'utf8')).toBe('previous report\n');
      expect(readdirSync(dir)).toEqual(['run.html']);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('prints the shape of the lock waits as one line of block characters, without escapes when not a terminal', async () => {
    const run = await runDblock(['stress', '--workers', '2', '--ops', '5']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}wait shape +[\d.,]+ ms \|[ ▁▂▃▄▅▆▇█]{24}\| [\d.,]+ ms \(log scale\)$/m);
    const output = run.stdout + run.stderr;
    expect(output.includes('\r') || output.includes('\u001b')).toBe(false);
  });

  it('refuses a report path that is a directory before running anything', async () => {
    const run = await runDblock(['stress', '--workers', '2', '--ops', '2', '--report', tempDir()]);
    expect(run.code).toBe(73);
    expect(run.stdout).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { runDblock } from '../helpers/processes.js';

describe('dblock bench', () => {
  it('refuses an unknown suite with a usage error', async () => {
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', 'bench', 'nosuch'], io)).toBe(64);
    expect(out.stderr).toContain('nosuch');
  });

  // The bundled CLI forks the bench workers from dist/bench: this proves it still finds them.
  it('runs the batch suite from the bundled CLI, as JSON (numbers not asserted: benchmarks are not tests)', async () => {
    const run = await runDblock(['bench', 'batch', '--quick', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { machine: string; tables: { title: string; rows: unknown[][] }[] };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('Write strategies of seed 001'),
      expect.stringContaining('4 processes writing one WAL database'),
    ]);
    expect(report.tables[0]?.rows).toHaveLength(12); // 6 strategies × WAL and rollback
    expect(report.tables[1]?.rows).toHaveLength(4);
    expect(run.stderr).toContain('bench: batch');
  });

  it('runs the bounded-WAL suite: off, the default and a small bound, for both concurrency modes', async () => {
    const run = await runDblock(['bench', 'wal', '--quick', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { tables: { title: string; rows: unknown[][] }[] };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('one serialized writer'),
      expect.stringContaining('one wal writer'),
    ]);
    for (const table of report.tables) expect(table.rows.map((row) => row[0])).toHaveLength(3);
  });
});

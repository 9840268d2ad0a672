import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { planKills } from '../../src/stress/schedule.js';
import { prepareStressDatabase } from '../../src/stress/setup.js';
import { checkRows } from '../../src/stress/verify.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('stress verification', () => {
  it('flags committed transactions missing, transactions that never committed, and torn ones', async () => {
    const db = join(tempDir(), 'stress.db');
    await prepareStressDatabase(db);
    const database = await openDatabase(db);
    await database.write((sqlite) => {
      const insert = sqlite.prepare('INSERT INTO dblock_stress (worker, seq, row, at) VALUES (?, ?, ?, 0)');
      for (const [worker, seq, row] of [
        [0, 0, 0],
        [0, 0, 1],
        [0, 1, 0], // (0, 1) lost its second row
        [1, 0, 0],
        [1, 0, 1], // (1, 0) was never reported committed
      ]) {
        insert.run(worker, seq, row);
      }
    });
    await database.close();
    // Reported: (0, 0), (0, 1), (0, 2); nothing for worker 1.
    const { rowsFound, problems } = await checkRows(db, [new Set([0, 1, 2]), new Set()], 2);
    expect(rowsFound).toBe(5);
    expect(problems).toEqual([
      '1 committed transactions missing: (0, 2)',
      '1 transactions present that never committed: (1, 0)',
      '1 transactions without exactly 2 distinct rows: (0, 1) has 1 rows',
    ]);
    expect((await checkRows(db, [new Set([0]), new Set([0])], 2)).problems).toEqual([
      '1 transactions present that never committed: (0, 1)',
    ]);
  });

  it('plans the same kills for the same seed: distinct workers, one transaction each, within range', () => {
    const plan = planKills(42, 8, 40, 3);
    expect(planKills(42, 8, 40, 3)).toEqual(plan);
    expect(plan.size).toBe(3);
    for (const [worker, seq] of plan) {
      expect(worker).toBeGreaterThanOrEqual(0);
      expect(worker).toBeLessThan(8);
      expect(seq).toBeGreaterThanOrEqual(0);
      expect(seq).toBeLessThan(40);
    }
    expect(planKills(1, 4, 10, 4).size).toBe(4);
    expect([...planKills(43, 8, 40, 3)]).not.toEqual([...plan]);
  });
});

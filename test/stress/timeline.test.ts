import { describe, expect, it } from 'vitest';
import { runStress, type StressTimeline } from '../../src/index.js';

describe('runStress onTimeline', () => {
  // The workers' times are on one clock (protocol.ts toSharedClock) and a hold is measured strictly
  // inside the lock: so in serialized mode no two holds overlap, across processes, kills included.
  it('reports every operation once, and in serialized mode no two lock holds overlap', async () => {
    let timeline: StressTimeline | undefined;
    const report = await runStress({ workers: 4, ops: 40, kill: 1, seed: 3, onTimeline: (t) => (timeline = t) });
    expect(report.ok).toBe(true);
    if (timeline === undefined) throw new Error('no timeline');
    expect(timeline.lanes).toBe(4);
    const commits = timeline.ops.filter((op) => op.kind === 'commit');
    expect(commits).toHaveLength(160);
    expect(timeline.ops.filter((op) => op.kind === 'killed')).toHaveLength(1);
    for (let lane = 0; lane < 4; lane++) {
      expect(
        commits
          .filter((op) => op.lane === lane)
          .map((op) => op.seq)
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    const holds = timeline.ops
      .filter((op) => op.kind === 'commit' || op.kind === 'killed')
      .map((op) => {
        const began = op.start + (op.waitMs ?? 0);
        return { lane: op.lane, began, until: began + (op.heldMs ?? 0) };
      })
      .sort((a, b) => a.began - b.began);
    const overlapping = holds.filter((hold, i) => i > 0 && (holds[i - 1]?.until ?? 0) > hold.began);
    expect(overlapping).toEqual([]);
    for (const op of timeline.ops) {
      expect(op.start).toBeGreaterThanOrEqual(0); // nobody asked before writing started
      expect(op.end).toBeGreaterThanOrEqual(op.start);
    }
  });
});

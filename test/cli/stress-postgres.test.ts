import { describe, expect, it } from 'vitest';
import { postgresUrl } from '../helpers/postgres.js';
import { runDblock } from '../helpers/processes.js';

describe('dblock stress --backend postgres', () => {
  it('verifies a run with the lock in PostgreSQL, workers SIGKILLed mid-transaction included', async () => {
    const args = ['stress', '--backend', 'postgres', '--url', postgresUrl(), '--workers', '3', '--ops', '8', '--kill', '1'];
    const run = await runDblock([...args, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, rowsFound: 24, kills: 1, locks: 'free' });
  });

  it('runs a command per operation under dblock exec --backend postgres', async () => {
    const args = ['stress', '--backend', 'postgres', '--url', postgresUrl(), '--workers', '2', '--ops', '3', '--json'];
    const run = await runDblock([...args, '--', 'sh', '-c', 'test -n "$DBLOCK_FENCE"']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, failedOps: 0 });
  });
});

// A stress worker process, spawned by the runner (workload.ts) with its WorkerConfig as JSON in
// argv[2]. Reports go to fd 3 (see protocol.ts); "go" arrives on stdin once every worker is ready.
import { DblockError } from '../errors.js';
import type { SqliteConnection } from '../sqlite/connection.js';
import { type WorkerConfig, writeReport } from './protocol.js';
import { STRESS_TABLE } from './table.js';
import { openStressWriter } from './worker-writer.js';

/** A held transaction nobody kills (the runner died) gives up after this long and rolls back. */
const HOLD_LIMIT_MS = 60_000;

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

async function main(): Promise<void> {
  const writer = await openStressWriter(config.db, config.mode, config.journalMode, config.lock, config.lockTimeoutMs);
  let insert: { run: (...params: number[]) => unknown } | undefined;
  const insertRows = (sqlite: SqliteConnection, seq: number): void => {
    insert ??= sqlite.prepare<number[]>(`INSERT INTO ${STRESS_TABLE} (worker, seq, row, at) VALUES (?, ?, ?, ?)`);
    const at = Date.now();
    for (let row = 0; row < config.txnRows; row++) insert.run(config.worker, seq, row, at);
  };
  writeReport({ t: 'ready' });
  await nextLine();
  for (let seq = config.from; seq < config.to; seq++) {
    const retriesBefore = writer.retries();
    const asked = performance.now();
    let began = asked;
    try {
      await writer.write((sqlite) => {
        began = performance.now();
        insertRows(sqlite, seq);
        // At or after the planned one: in unsafe mode that transaction may have failed to begin.
        if (config.holdAt !== null && seq >= config.holdAt) holdUntilKilled(seq);
      });
      const latencyMs = performance.now() - asked;
      writeReport({ t: 'commit', seq, waitMs: began - asked, latencyMs, retries: writer.retries() - retriesBefore });
    } catch (err) {
      writeReport({ t: 'fail', seq, busy: isBusy(err), code: codeOf(err), message: (err as Error).message });
    }
  }
  await writer.close();
  writeReport({ t: 'done' });
  process.stdin.destroy();
}

/** Inside BEGIN..COMMIT with this transaction's rows written: say so, then block until SIGKILLed. */
function holdUntilKilled(seq: number): never {
  writeReport({ t: 'hold', seq });
  // Blocking (not awaiting) keeps the transaction open with nothing else running in this process.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_LIMIT_MS);
  throw new DblockError('EINTERNAL', `held transaction ${seq} for ${HOLD_LIMIT_MS / 1000}s and was never killed`);
}

/** The runner writes one line ("go") when every worker is ready; end of input means it is gone. */
function nextLine(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdin.once('end', () => process.exit(1));
  });
}

function codeOf(err: unknown): string {
  return String((err as { code?: unknown }).code ?? 'EINTERNAL');
}

/** A busy database or a lock wait that ran out: the errors contention causes. */
function isBusy(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ELOCKTIMEOUT' || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

main().catch((err: unknown) => {
  process.stderr.write(`dblock stress worker ${config.worker}: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
  process.stdin.destroy();
});

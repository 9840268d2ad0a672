// The public surface: seven functions, the errors and their codes, and types. Everything else is internal.
export type { BackendName, LockMode } from './backend/types.js';
export {
  DblockError,
  type DblockErrorCode,
  EXIT,
  type HolderRecordLike,
  isDblockError,
  LockTimeoutError,
} from './errors.js';
export { declareIntent } from './intent/declare.js';
export { IntentConflictError, type RefusalOutcome } from './intent/intent-error.js';
export type { IntentHandle } from './intent/intent-handle.js';
export type { DeclareIntentOptions } from './intent/options.js';
export type { ConflictRecord, IntentConflict, IntentPolicy } from './intent/types.js';
export { type LockOptions, lock, withLock } from './lock/acquire.js';
export type { HolderRecord } from './lock/holder-record.js';
export type { LockHandle } from './lock/lock-handle.js';
export type { BatchItem, BatchWriter, BindParameters } from './sqlite/batch/batch-writer.js';
export type { BatchWriterOptions } from './sqlite/batch/options.js';
export { type CheckOptions, type CheckReport, checkDatabase } from './sqlite/check.js';
export { type CheckpointMode, type CheckpointOptions, type CheckpointReport, checkpointDatabase } from './sqlite/checkpoint.js';
export type { SqliteConnection } from './sqlite/connection.js';
export type { Database } from './sqlite/database.js';
export type { OpenReport } from './sqlite/initialise.js';
export { openDatabase } from './sqlite/open-database.js';
export type { Concurrency, JournalMode, OpenDatabaseOptions, SynchronousMode } from './sqlite/options.js';
export type { WriteStats } from './sqlite/transaction.js';
export type { LogHistogram } from './stress/histogram.js';
export type { StressMode, StressOptions, StressProgress, StressStart } from './stress/options.js';
export type { LatencySummary, StressReport } from './stress/report.js';
export { runStress } from './stress/run-stress.js';
export type { StressTimeline, TimelineOp, TimelineOpKind } from './stress/timeline.js';

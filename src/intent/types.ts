import { INTENT_POLICIES } from '../defaults.js';
import type { IntentPath } from './paths.js';

/**
 * What to do when declared paths overlap an in-flight task's: `refuse` (exit 75, name the other
 * task), `queue` (wait, first come first served, bounded by the timeout), `warn` (admit and log).
 */
export type IntentPolicy = (typeof INTENT_POLICIES)[number];

/** Every policy, for validation and help text. */
export { INTENT_POLICIES };

/** A task in the registry: `admitted` (running) or `queued` (waiting its turn). */
export interface IntentTask {
  /** Submission order across processes (FIFO among queued tasks). */
  readonly seq: number;
  readonly id: string;
  /** Names the task's liveness file (`<registry>.live/<token>`). */
  readonly token: string;
  readonly state: 'queued' | 'admitted';
  readonly policy: IntentPolicy;
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** Milliseconds since the epoch. */
  readonly submittedAt: number;
  readonly admittedAt: number | null;
  readonly ttlMs: number | null;
  /** When an admitted task's intent lapses (admission + TTL); null = no TTL. */
  readonly expiresAt: number | null;
  readonly paths: readonly IntentPath[];
}

/** One overlap between a submission and an in-flight task, as errors and the conflict log name it. */
export interface IntentConflict {
  /** The submitting task. */
  readonly taskId: string;
  /** The submitted path that overlaps (directories end in `/`). */
  readonly path: string;
  /** The in-flight task in the way. */
  readonly otherTaskId: string;
  /** Its path that overlaps. */
  readonly otherPath: string;
  readonly otherState: 'queued' | 'admitted';
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  /** When the other task was submitted (ISO 8601). */
  readonly since: string;
  /** How long the other task has been in the registry, in milliseconds. */
  readonly ageMs: number;
}

/** A row of the conflict log (`dblock conflicts`). */
export interface ConflictRecord {
  readonly id: number;
  /** When the conflict was met (ISO 8601). */
  readonly at: string;
  readonly taskId: string;
  readonly pid: number;
  /** The submitter's host (null in rows logged before dblock recorded it). */
  readonly host: string | null;
  readonly command: string;
  readonly path: string;
  readonly otherTaskId: string;
  readonly otherPid: number;
  readonly otherHost: string;
  readonly otherCommand: string;
  readonly otherPath: string;
  readonly otherState: string;
  readonly policy: IntentPolicy;
  /** `refused`, `warned`, `queued` (still waiting, or the waiter died), `waited` (then admitted), `timed-out`. */
  readonly outcome: string;
  readonly waitedMs: number | null;
}

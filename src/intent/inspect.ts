import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probeLiveness, removeLivenessFile } from '../lock/liveness.js';
import { isLive, purgeTask } from './admission.js';
import { readConflicts } from './conflict-log.js';
import type { RegistryLocation } from './location.js';
import { type IntentPath, pathsOverlap, showPath } from './paths.js';
import { type IntentRegistry, openRegistry, registryExists } from './registry.js';
import { loadTasks } from './task-store.js';
import type { ConflictRecord, IntentTask } from './types.js';

/** A liveness file with no task this old is debris of a crash between creating it and registering. */
const ORPHAN_AGE_MS = 60_000;

/** An in-flight task as `dblock intents` shows it. */
export interface IntentListing {
  readonly taskId: string;
  readonly state: 'queued' | 'admitted';
  readonly policy: string;
  readonly paths: readonly string[];
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
  readonly ageMs: number;
  /** Milliseconds until the TTL lapses; null without a TTL. */
  readonly ttlLeftMs: number | null;
}

/** What `dblock reap` removed. */
export interface ReapReport {
  readonly removed: readonly (IntentListing & { reason: 'dead' | 'expired' })[];
  /** Liveness files that belonged to no task (a crash between creating one and registering). */
  readonly orphans: number;
}

/**
 * In-flight tasks (alive and unexpired), in submission order; `touching` keeps only those whose
 * paths overlap it. A registry that does not exist yet has none (and is not created).
 */
export async function listIntents(location: RegistryLocation, touching?: IntentPath): Promise<IntentListing[]> {
  return withRegistry(location, [], async (registry) => {
    const now = Date.now();
    const tasks = await registry.db.read((sqlite) => loadTasks(sqlite));
    return tasks
      .filter((task) => isLive(registry, task, now))
      .filter((task) => touching === undefined || task.paths.some((p) => pathsOverlap(p, touching)))
      .map((task) => toListing(task, now));
  });
}

/** Remove dead and expired tasks (and orphaned liveness files) in one transaction, and say which. */
export async function reapIntents(location: RegistryLocation): Promise<ReapReport> {
  return withRegistry(location, { removed: [], orphans: 0 }, async (registry) => {
    const now = Date.now();
    const { removed, kept } = await registry.db.write((sqlite) => {
      const gone: { task: IntentTask; reason: 'dead' | 'expired' }[] = [];
      const live = new Set<string>();
      for (const task of loadTasks(sqlite)) {
        if (isLive(registry, task, now)) {
          live.add(task.token);
          continue;
        }
        purgeTask(sqlite, task);
        gone.push({ task, reason: task.expiresAt !== null && task.expiresAt <= now ? 'expired' : 'dead' });
      }
      return { removed: gone, kept: live };
    });
    for (const { task } of removed) removeLivenessFile(registry.livePath(task.token));
    return {
      removed: removed.map(({ task, reason }) => ({ ...toListing(task, now), reason })),
      orphans: sweepOrphans(registry, kept, now),
    };
  });
}

/** Liveness files of no task, unlocked, and old enough not to be a submission between create and insert. */
function sweepOrphans(registry: IntentRegistry, kept: ReadonlySet<string>, now: number): number {
  let names: string[];
  try {
    names = readdirSync(registry.liveDir);
  } catch {
    return 0;
  }
  let swept = 0;
  for (const name of names) {
    if (kept.has(name)) continue;
    const path = join(registry.liveDir, name);
    try {
      if (now - statSync(path).ctimeMs < ORPHAN_AGE_MS || probeLiveness(path) === 'held') continue;
    } catch {
      continue;
    }
    removeLivenessFile(path);
    swept += 1;
  }
  return swept;
}

/** The conflict log since `sinceMs` (epoch ms), oldest first. */
export async function listConflicts(location: RegistryLocation, sinceMs: number): Promise<ConflictRecord[]> {
  return withRegistry(location, [], (registry) => registry.db.read((sqlite) => readConflicts(sqlite, sinceMs)));
}

async function withRegistry<T>(location: RegistryLocation, empty: T, fn: (registry: IntentRegistry) => Promise<T>): Promise<T> {
  if (!registryExists(location)) return empty;
  const registry = await openRegistry(location);
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

function toListing(task: IntentTask, now: number): IntentListing {
  return {
    taskId: task.id,
    state: task.state,
    policy: task.policy,
    paths: task.paths.map(showPath),
    pid: task.pid,
    host: task.host,
    command: task.command,
    since: new Date(task.submittedAt).toISOString(),
    ageMs: now - task.submittedAt,
    ttlLeftMs: task.expiresAt === null ? null : task.expiresAt - now,
  };
}

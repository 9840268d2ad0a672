import { join } from 'node:path';
import { localEndOf } from '../backend/postgres/inherited-socket.js';
import { verifyHeldFd } from '../lock/liveness.js';
import { LIVE_DIR_SUFFIX } from './location.js';

/** Environment variable through which `dblock exec` tells its child which intents it holds. */
export const INTENTS_ENV = 'DBLOCK_INTENTS';
/** The child's own task id (informational: scripts may log it). */
export const TASK_ID_ENV = 'DBLOCK_TASK_ID';

/** An intent an ancestor holds, with the inherited descriptor of its liveness lock. */
export interface InheritedIntent {
  /** Canonical path of the registry database, or `postgres://host:port/db#scope`. */
  readonly registry: string;
  readonly task: string;
  readonly token: string;
  readonly fd: number;
}

/** The DBLOCK_INTENTS value for a child that inherits `intents`. */
export function encodeIntentsEnv(intents: readonly InheritedIntent[]): string {
  return JSON.stringify(intents.map(({ registry, task, token, fd }) => ({ registry, task, token, fd })));
}

/**
 * Intents listed in DBLOCK_INTENTS, each trusted only when its inherited descriptor is that task's
 * liveness file and holds its lock: a stray variable can never switch conflict checks off. A
 * PostgreSQL task's descriptor is its session's socket: listed here if it is a TCP socket, and
 * verified with the server before it counts (pg-ancestors.ts).
 */
export function inheritedIntents(env: NodeJS.ProcessEnv = process.env): InheritedIntent[] {
  const raw = env[INTENTS_ENV];
  if (raw === undefined || raw === '') return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: InheritedIntent[] = [];
  for (const item of list as Partial<InheritedIntent>[]) {
    const { registry, task, token, fd } = item ?? {};
    if (typeof registry !== 'string' || typeof task !== 'string' || typeof token !== 'string') continue;
    if (!Number.isInteger(fd) || (fd as number) < 0 || !/^[0-9a-f]+$/.test(token)) continue;
    const held = registry.startsWith('postgres://')
      ? localEndOf(fd as number) !== undefined
      : verifyHeldFd(fd as number, join(registry + LIVE_DIR_SUFFIX, token));
    if (held) out.push({ registry, task, token, fd: fd as number });
  }
  return out;
}

/**
 * Ids of the tasks that ancestors hold in `registry`: never in our way (a nested
 * `dblock exec --writes data/x` under a task that declared `data/` must not refuse itself).
 */
export function ancestorTasks(registry: string, env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    inheritedIntents(env)
      .filter((i) => i.registry === registry)
      .map((i) => i.task),
  );
}

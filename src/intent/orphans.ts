import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probeLiveness, removeLivenessFile } from '../lock/liveness.js';

/** A liveness file with no task this old is debris of a crash between creating it and registering. */
const ORPHAN_AGE_MS = 60_000;

/** Liveness files of no task, unlocked, and old enough not to be a submission between create and insert. */
export function sweepOrphans(liveDir: string, kept: ReadonlySet<string>, now: number): number {
  let names: string[];
  try {
    names = readdirSync(liveDir);
  } catch {
    return 0;
  }
  let swept = 0;
  for (const name of names) {
    if (kept.has(name)) continue;
    const path = join(liveDir, name);
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

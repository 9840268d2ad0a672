import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DblockError } from '../errors.js';
import type { Database } from '../sqlite/database.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { RegistryLocation } from './location.js';
import { REGISTRY_APPLICATION_ID, REGISTRY_MIGRATIONS } from './schema.js';

/**
 * The write-intent registry: a SQLite database written through dblock's own SQLite layer, so
 * every change is one `BEGIN IMMEDIATE` transaction under the registry's sidecar lock.
 */
export class IntentRegistry {
  readonly path: string;
  readonly liveDir: string;
  readonly db: Database;

  constructor(location: RegistryLocation, db: Database) {
    this.path = location.path;
    this.liveDir = location.liveDir;
    this.db = db;
  }

  /** The liveness file of the task with this token. */
  livePath(token: string): string {
    return join(this.liveDir, token);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

const cache = new Map<string, Promise<IntentRegistry>>();

/** The registry at `location`, opened once per process and kept open (a task's release needs it too). */
export function openRegistryCached(location: RegistryLocation): Promise<IntentRegistry> {
  let opened = cache.get(location.path);
  if (opened === undefined) {
    opened = openRegistry(location);
    cache.set(location.path, opened);
    opened.catch(() => cache.delete(location.path));
  }
  return opened;
}

/**
 * Open (creating and migrating as needed) the registry database. A file that is not SQLite, or a
 * SQLite database that is someone else's, is refused and left exactly as it was.
 * @throws DblockError ENOTDB, EPERM, ELOCKTIMEOUT
 */
export async function openRegistry(location: RegistryLocation): Promise<IntentRegistry> {
  await refuseForeignDatabase(location.path);
  try {
    const db = await openDatabase(location.path, { migrations: REGISTRY_MIGRATIONS });
    return new IntentRegistry(location, db);
  } catch (err) {
    throw asRegistryError(err, location.path);
  }
}

/** True when the registry database exists (read-only commands do not create one). */
export function registryExists(location: RegistryLocation): boolean {
  try {
    return statSync(location.path).isFile();
  } catch {
    return false;
  }
}

async function refuseForeignDatabase(path: string): Promise<void> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // missing: it will be created
  }
  if (size === 0) return;
  let probe: Database;
  try {
    probe = await openDatabase(path, { readonly: true });
  } catch (err) {
    throw asRegistryError(err, path);
  }
  try {
    const { appId, tables } = await probe.read((sqlite) => ({
      appId: sqlite.pragma('application_id', { simple: true }) as number,
      tables: sqlite.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number,
    }));
    if (appId !== REGISTRY_APPLICATION_ID && tables > 0) {
      throw new DblockError('ENOTDB', `registry ${path} is a SQLite database but not a dblock registry; left unchanged`);
    }
  } finally {
    await probe.close();
  }
}

function asRegistryError(err: unknown, path: string): unknown {
  if (err instanceof DblockError && err.code === 'ENOTDB' && !err.message.startsWith('registry')) {
    return new DblockError('ENOTDB', `registry ${path}: ${err.message}`, { cause: err });
  }
  return err;
}

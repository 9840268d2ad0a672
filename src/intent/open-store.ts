import { resolvePostgresUrl } from '../backend/postgres/connect.js';
import { locateRegistry } from './location.js';
import { openRegistry, openRegistryCached, registryExists } from './registry.js';
import { SqliteIntentStore } from './sqlite-store.js';
import type { IntentStore } from './store.js';
import type { StoreWhere } from './store-where.js';

const cache = new Map<string, Promise<IntentStore>>();

/** The store `where` names, opened once per process and kept open (a task's release needs it too). */
export function openStoreCached(where: StoreWhere): Promise<IntentStore> {
  if (where.kind === 'sqlite') {
    const location = locateRegistry(where.registry, true);
    return cached(`sqlite ${location.path}`, async () => new SqliteIntentStore(await openRegistryCached(location)));
  }
  const url = resolvePostgresUrl(where.url);
  return cached(`postgres ${url ?? ''} ${where.scope}`, () => openPgStore(url, where.scope));
}

/**
 * A store for one command (`intents`, `reap`, `conflicts`), to close afterwards; undefined for a
 * SQLite registry that does not exist yet (reading must not create one). `id` names it either way.
 */
export async function openStoreOnce(where: StoreWhere): Promise<{ id: string; store: IntentStore | undefined }> {
  if (where.kind === 'postgres') {
    const store = await openPgStore(resolvePostgresUrl(where.url), where.scope);
    return { id: store.id, store };
  }
  const location = locateRegistry(where.registry, false);
  if (!registryExists(location)) return { id: location.path, store: undefined };
  return { id: location.path, store: new SqliteIntentStore(await openRegistry(location)) };
}

function cached(key: string, open: () => Promise<IntentStore>): Promise<IntentStore> {
  let opened = cache.get(key);
  if (opened === undefined) {
    opened = open();
    cache.set(key, opened);
    opened.catch(() => cache.delete(key));
  }
  return opened;
}

/** node-postgres and the PostgreSQL store load only when a postgres registry is named. */
async function openPgStore(url: string | undefined, scope: string): Promise<IntentStore> {
  const { openPgIntentStore } = await import('./pg/pg-store.js');
  return openPgIntentStore(url, scope);
}

import { flockBackend } from '../backend/flock-backend.js';
import { mkdirBackend } from '../backend/mkdir-backend.js';
import { postgresBackend } from '../backend/postgres/postgres-backend.js';
import type { BackendName, LockBackend } from '../backend/types.js';
import { DblockError } from '../errors.js';

/** Backend names accepted by `--backend` / `backend`. */
export const BACKEND_NAMES: readonly BackendName[] = ['flock', 'mkdir', 'postgres'];

/** The backend for a name (default `flock`); an unknown name is a usage error. */
export function selectBackend(name: string | undefined): LockBackend {
  switch (name ?? 'flock') {
    case 'flock':
      return flockBackend;
    case 'mkdir':
      return mkdirBackend;
    case 'postgres':
      return postgresBackend;
    default:
      throw new DblockError('EUSAGE', `Expected \`backend\` to be one of ${BACKEND_NAMES.join(', ')}, got \`${name}\``);
  }
}

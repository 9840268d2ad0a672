import { flockBackend } from '../backend/flock-backend.js';
import { mkdirBackend } from '../backend/mkdir-backend.js';
import { postgresBackend } from '../backend/postgres/postgres-backend.js';
import type { LockBackend } from '../backend/types.js';
import { BACKEND_NAMES, DEFAULTS } from '../defaults.js';
import { DblockError } from '../errors.js';

export { BACKEND_NAMES };

/** The backend for a name (default `flock`); an unknown name is a usage error. */
export function selectBackend(name: string | undefined): LockBackend {
  switch (name ?? DEFAULTS.backend) {
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

export type { BackendName, LockMode } from './backend/types.js';
export { DblockError, type DblockErrorCode, EXIT, LockTimeoutError } from './errors.js';
export { type LockOptions, lock, withLock } from './lock/acquire.js';
export type { HolderRecord } from './lock/holder-record.js';
export { LockHandle } from './lock/lock-handle.js';
export { parseDuration } from './options.js';
export { canonicalizeTarget } from './path/canonicalize.js';
export { resolveLockTarget } from './path/sidecar-path.js';
export { VERSION } from './version.js';

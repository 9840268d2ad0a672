import { createHash } from 'node:crypto';

/** A lock name's advisory key, in the forms SQL and `pg_locks` need. */
export interface LockKey {
  /** The signed 64-bit key, as decimal text (bound as `$n::bigint`). */
  readonly key: string;
  /** `pg_locks.classid` of that key: its high 32 bits, unsigned. */
  readonly classid: number;
  /** `pg_locks.objid` of that key: its low 32 bits, unsigned. */
  readonly objid: number;
}

/** Key = the first 8 bytes of SHA-256("dblock:" + name) as a signed bigint: any string, stable across hosts. */
export function lockKeyOf(name: string): LockKey {
  const digest = createHash('sha256').update(`dblock:${name}`).digest();
  return {
    key: digest.readBigInt64BE(0).toString(),
    classid: digest.readUInt32BE(0),
    objid: digest.readUInt32BE(4),
  };
}

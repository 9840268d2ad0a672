import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** statfs(2) `f_type` magic numbers of network and user-space filesystems (linux/magic.h). */
const NETWORK_FS_MAGIC: ReadonlyMap<number, string> = new Map([
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x517b, 'smb'],
  [0x65735546, 'fuse'],
  [0x01021997, '9p'],
  [0x6a656a63, 'virtiofs'],
  [0x47504653, 'gpfs'],
  [0x0bd00bd0, 'lustre'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
]);

/** The name of a network filesystem for a statfs `f_type`, or undefined for a local one. */
export function networkFsName(type: number): string | undefined {
  // f_type is a signed long on some platforms: compare as unsigned 32-bit.
  return NETWORK_FS_MAGIC.get(type >>> 0);
}

/**
 * Which network (or FUSE) filesystem `path` lives on, or undefined when it is local or unknown.
 * A path that does not exist yet is judged by its nearest existing ancestor. Never throws.
 * @example detectNetworkFs('/mnt/nfs/app.db') // 'nfs'
 */
export function detectNetworkFs(path: string): string | undefined {
  for (let at = path; ; at = dirname(at)) {
    try {
      return networkFsName(Number(statfsSync(at).type));
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** What statfs says about the filesystem a path lives on. */
export interface FilesystemInfo {
  /** A short name (`ext4`, `nfs`, `cifs`…), or `unknown` (always on non-Linux: magic numbers are Linux's). */
  readonly type: string;
  /** The raw `f_type` magic number (0 when statfs failed or the platform has none). */
  readonly magic: number;
  /** True for filesystems where flock(2) may not exclude across hosts and SQLite's WAL does not work. */
  readonly network: boolean;
}

// Linux statfs(2) f_type values (linux/magic.h); the network ones are where flock may be emulated or local-only.
const NETWORK = new Map<number, string>([
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x517b, 'smb'],
  [0x65735546, 'fuse'],
  [0x01021997, '9p'],
  [0x6a656a63, 'virtiofs'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
  [0x47504653, 'gpfs'],
  [0x0bd00bd0, 'lustre'],
]);
const LOCAL = new Map<number, string>([
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlay'],
  [0x2fc12fc1, 'zfs'],
  [0xf2f52010, 'f2fs'],
  [0x4d44, 'vfat'],
  [0x2011bab0, 'exfat'],
  [0x5346544e, 'ntfs'],
]);

/** Name a Linux statfs magic number. */
export function describeFilesystemMagic(magic: number): FilesystemInfo {
  const unsigned = magic >>> 0; // f_type is signed on 32-bit Linux: 0xFF534D42 arrives negative
  const network = NETWORK.get(unsigned);
  if (network !== undefined) return { type: network, magic: unsigned, network: true };
  return { type: LOCAL.get(unsigned) ?? `unknown (0x${unsigned.toString(16)})`, magic: unsigned, network: false };
}

/**
 * The filesystem `path` (which must exist: pass a directory) lives on, by statfs.
 * @example describeFilesystem('/srv/data').type // 'nfs'
 */
export function describeFilesystem(path: string, platform: NodeJS.Platform = process.platform): FilesystemInfo {
  if (platform !== 'linux') return { type: 'unknown', magic: 0, network: false };
  try {
    return describeFilesystemMagic(statfsSync(path).type);
  } catch {
    return { type: 'unknown', magic: 0, network: false };
  }
}

/**
 * The network filesystem `path` is on (`nfs`, `cifs`, `fuse`…), or undefined for a local one.
 * A path that does not exist yet is judged by its nearest existing ancestor. Never throws.
 * @example detectNetworkFs('/mnt/nfs/app.db') // 'nfs'
 */
export function detectNetworkFs(path: string): string | undefined {
  for (let at = path; ; at = dirname(at)) {
    try {
      statfsSync(at);
    } catch {
      if (dirname(at) === at) return undefined;
      continue;
    }
    const info = describeFilesystem(at);
    return info.network ? info.type : undefined;
  }
}

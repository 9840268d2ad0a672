import { fstatSync, readFileSync, readlinkSync } from 'node:fs';

/** The local end of an inherited TCP socket: what the server sees as the session's client address. */
export interface SocketEnd {
  readonly address: string;
  readonly port: number;
}

/**
 * The local address and port of descriptor `fd` when it is a TCP socket (Linux /proc: the socket's
 * inode looked up in /proc/net/tcp). Undefined when it is anything else or cannot be told.
 */
export function localEndOf(fd: number): SocketEnd | undefined {
  try {
    if (!fstatSync(fd).isSocket()) return undefined;
    const link = readlinkSync(`/proc/self/fd/${fd}`);
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode === undefined) return undefined;
    return findInTable('/proc/net/tcp', inode, decodeIpv4) ?? findInTable('/proc/net/tcp6', inode, decodeIpv6);
  } catch {
    return undefined;
  }
}

function findInTable(file: string, inode: string, decode: (hex: string) => string): SocketEnd | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[9] !== inode) continue;
    const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
    if (hexAddress === undefined || hexPort === undefined) return undefined;
    return { address: decode(hexAddress), port: Number.parseInt(hexPort, 16) };
  }
  return undefined;
}

/** /proc/net/tcp writes an IPv4 address as one little-endian 32-bit word. */
function decodeIpv4(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  return [bytes[3], bytes[2], bytes[1], bytes[0]].join('.');
}

/** Four little-endian 32-bit words; a v4-mapped address comes out as the IPv4 the server reports. */
function decodeIpv6(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  const words: Buffer[] = [];
  for (let i = 0; i < 16; i += 4) words.push(Buffer.from(bytes.subarray(i, i + 4)).reverse());
  const ordered = Buffer.concat(words);
  if (ordered.subarray(0, 10).every((b) => b === 0) && ordered[10] === 0xff && ordered[11] === 0xff) {
    return [...ordered.subarray(12)].join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(ordered.readUInt16BE(i).toString(16));
  return groups.join(':');
}

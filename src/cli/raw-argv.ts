import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { DblockError } from '../errors.js';
import { printable } from '../util/printable.js';

const REPLACEMENT = '\uFFFD';

/**
 * The bytes the kernel passed as the last `tail.length` arguments, for each element of `tail` whose
 * bytes are not valid UTF-8 (Node decodes argv with U+FFFD in their place, so `x\xff` and `x\xfe`
 * would both read as `x�`); other elements map to undefined. Read from /proc/self/cmdline (Linux)
 * only when an element contains U+FFFD, so a plain run costs nothing. The match is by position from
 * the end and trusted only if the bytes decode to exactly `tail` (argv given in-process does not).
 */
export function rawTail(tail: readonly string[]): (Buffer | undefined)[] {
  const none = tail.map(() => undefined);
  if (!tail.some((arg) => arg.includes(REPLACEMENT))) return none;
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return none; // not Linux: what Node decoded is all there is
  }
  const all = splitNul(cmdline);
  const raw = all.slice(all.length - tail.length);
  if (raw.length !== tail.length || raw.some((bytes, i) => bytes.toString('utf8') !== tail[i])) return none;
  return raw.map((bytes, i) => (tail[i]?.includes(REPLACEMENT) && !isUtf8(bytes) ? bytes : undefined));
}

/**
 * Refuse an argument that was not valid UTF-8: dblock handles paths as strings, so one would silently
 * name another file (`x\xff.jsonl` would become `x\xef\xbf\xbd.jsonl`) or another lock than `flock(1)` takes.
 * `args` are the last arguments of this process (all of them up to the command after `--`, say).
 * @throws DblockError EUSAGE naming the argument with its bytes escaped.
 */
export function refuseNonUtf8(args: readonly string[], upTo: number = args.length): void {
  const raw = rawTail(args);
  const bad = raw.findIndex((bytes, i) => bytes !== undefined && i < upTo);
  const bytes = raw[bad];
  if (bytes === undefined) return;
  throw new DblockError('EUSAGE', `argument is not valid UTF-8: ${escapeBytes(bytes)}; dblock needs UTF-8 paths and arguments`);
}

/** Valid UTF-8 as is (control characters escaped), each byte of an invalid sequence as `\xNN`. */
export function escapeBytes(bytes: Buffer): string {
  let out = '';
  let start = 0;
  const flush = (end: number): void => {
    out += printable(bytes.subarray(start, end).toString('utf8'));
  };
  for (let at = 0; at < bytes.length; ) {
    const length = utf8SequenceLength(bytes, at);
    if (length > 0) {
      at += length;
      continue;
    }
    flush(at);
    out += `\\x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}`;
    start = ++at;
  }
  flush(bytes.length);
  return out;
}

/** The length of the valid UTF-8 sequence at `at`, or 0: valid when it decodes and re-encodes to itself. */
function utf8SequenceLength(bytes: Buffer, at: number): number {
  const lead = bytes[at] ?? 0;
  const length = lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
  const sequence = bytes.subarray(at, at + length);
  return length > 0 && sequence.length === length && isUtf8(sequence) ? length : 0;
}

function splitNul(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(0); at !== -1; at = bytes.indexOf(0, start)) {
    parts.push(bytes.subarray(start, at));
    start = at + 1;
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

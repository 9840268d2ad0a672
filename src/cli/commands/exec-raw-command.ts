import { rawTail } from '../raw-argv.js';

/**
 * Turns each positional parameter from a printf format back into its bytes, then execs them: the
 * one way to hand a child an argument that is not valid UTF-8, since Node's spawn encodes strings.
 * The trailing `.` keeps a trailing newline from being stripped by `$(…)`.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
const DECODE_AND_EXEC = 'for a; do shift; v=$(printf "$a."); set -- "$@" "${v%.}"; done; exec "$@"';

/** Bytes that stand for themselves in a printf format and in sh; every other byte is written `\NNN`. */
const PLAIN = /^[A-Za-z0-9_./=:,+@]$/;

/**
 * The file and arguments to spawn for CMD. Usually CMD itself; when an argument reached us as bytes
 * that are not UTF-8 (`cat $'x\xff'`), /bin/sh is run to rebuild those exact bytes and exec CMD in
 * its place (same process, so signals and inherited descriptors reach CMD as before).
 */
export function spawnableCommand(command: readonly string[]): { file: string; args: string[] } {
  const raw = rawTail(command);
  const [file = '', ...args] = command;
  if (raw.every((bytes) => bytes === undefined)) return { file, args };
  const formats = command.map((arg, i) => printfFormat(raw[i] ?? Buffer.from(arg, 'utf8')));
  return { file: '/bin/sh', args: ['-c', DECODE_AND_EXEC, 'dblock', ...formats] };
}

function printfFormat(bytes: Buffer): string {
  let format = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    format += byte < 0x80 && PLAIN.test(char) ? char : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return format;
}

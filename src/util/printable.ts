/**
 * Characters a terminal acts on instead of showing: C0 controls, DEL, C1 controls (U+009B is a
 * one-byte CSI on some terminals), the backslash (so an escape we print cannot be forged by a literal
 * `\e`), the line/paragraph separators, and the bidi marks, embeddings, overrides and isolates
 * (U+061C, U+200E-F, U+202A-E, U+2066-9) that make a bidi-aware terminal show text in another order
 * than it is (Trojan Source): a holder command never needs them, and escaped they stay readable.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\\\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The short forms bash's `$'…'` and `printf %q` use; anything else is `\xNN` or `\uNNNN`. */
const NAMED: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '\\': '\\\\',
};

/**
 * `text` with every character a terminal would act on written as a visible escape (`\e`, `\r`,
 * `\x01`, `\u009b`, `\u202e`, and `\\` for a backslash), for printing a string that someone else
 * chose (a holder's command, host or task id) where a person reads it. JSON output stays raw:
 * JSON.stringify already escapes it.
 * @example printable('sleep 2 #\x1b]0;PWNED\x07') // 'sleep 2 #\\e]0;PWNED\\a'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const LINE_BREAKING = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as one visible line: like {@link printable} but leaving backslashes alone, for a message
 * whose parts may already be escaped (an error naming a path someone chose, with a quoted command).
 * @example oneLine('cannot lock a\nb') // 'cannot lock a\\nb'
 */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKING, escapeOne);
}

/** `text` in double quotes, escaped by {@link printable}, with `"` escaped too so the quotes stay unambiguous. */
export function quoted(text: string): string {
  return `"${printable(text).replaceAll('"', '\\"')}"`;
}

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code < 0x80 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

import { describe, expect, it } from 'vitest';
import { printable, quoted } from '../../src/util/printable.js';

describe('printable', () => {
  it('escapes C0, DEL, C1, bidi controls and the backslash, and keeps other text as it is', () => {
    expect(printable('a\x1b[31mb\x07\r\n\t\x00\x7f')).toBe(String.raw`a\e[31mb\a\r\n\t\x00\x7f`);
    expect(printable('\x9b2J \u202eexe.txt \u2066x\u2069 \u200f')).toBe(String.raw`\u009b2J \u202eexe.txt \u2066x\u2069 \u200f`);
    expect(printable(String.raw`C:\e`)).toBe(String.raw`C:\\e`);
    expect(printable('café 日本 ✓ "ok"')).toBe('café 日本 ✓ "ok"');
  });

  it('quotes with the inner double quotes escaped', () => {
    expect(quoted('say "hi"\x1b')).toBe(String.raw`"say \"hi\"\e"`);
  });
});

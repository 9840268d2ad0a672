import type { CliIo } from '../../src/cli/output.js';

/** An in-memory CliIo for running `main()` in process. */
export function captureIo(): { io: CliIo; out: { stdout: string; stderr: string } } {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    isTTY: false,
  };
  return { io, out };
}

import type { OptionSpec } from './option-spec.js';

/** Flags every command takes, before or after its name. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--json', description: 'machine-readable output on stdout' },
  { flags: '-q, --quiet', description: 'print nothing but errors' },
  { flags: '-v, --verbose', description: 'say how long the lock took and who held it' },
  { flags: '--debug', description: 'print stack traces (also DBLOCK_DEBUG=1)' },
];

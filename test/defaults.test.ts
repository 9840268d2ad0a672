import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/command-list.js';
import { describeOption } from '../src/cli/option-spec.js';
import { commandOptions } from '../src/cli/shared-options.js';
import { DEFAULTS, formatDefaultDuration, JOURNAL_MODES, STRESS_MODES } from '../src/defaults.js';
import { selectBackend } from '../src/lock/backends.js';
import { resolveTimeoutMs } from '../src/options.js';
import { resolveOpenOptions } from '../src/sqlite/options.js';
import { resolveStressOptions } from '../src/stress/options.js';
import { codeOf } from './helpers/error-code.js';

/** The help line of `dblock NAME`'s option `--LONG`. */
function helpOf(name: string, long: string): string {
  const spec = COMMANDS.find((command) => command.name === name);
  const option = spec?.options.find((o) => o.flags.includes(`--${long} `) || o.flags.endsWith(`--${long}`));
  if (option === undefined) throw new Error(`no --${long} on ${name}`);
  return describeOption(option);
}

describe('defaults.ts: what the library applies is what the help says', () => {
  it('the library resolvers apply the defaults of defaults.ts', () => {
    expect(resolveTimeoutMs(undefined, {})).toBe(DEFAULTS.timeoutMs);
    expect(selectBackend(undefined).name).toBe(DEFAULTS.backend);
    const open = resolveOpenOptions({});
    expect([open.journalMode, open.concurrency, open.maxWalBytes]).toEqual([
      DEFAULTS.journalMode,
      DEFAULTS.concurrency,
      DEFAULTS.maxWalBytes,
    ]);
    const stress = resolveStressOptions({});
    expect([stress.workers, stress.ops, stress.mode, stress.txnRows]).toEqual([
      DEFAULTS.stressWorkers,
      DEFAULTS.stressOps,
      DEFAULTS.stressMode,
      DEFAULTS.stressTxnRows,
    ]);
  });

  it('the help shows those defaults and lists the allowed values', () => {
    expect(helpOf('exec', 'timeout')).toContain(`(default: ${formatDefaultDuration(DEFAULTS.timeoutMs)} or DBLOCK_TIMEOUT)`);
    expect(helpOf('init', 'journal')).toContain(`${JOURNAL_MODES.slice(0, -1).join(', ')} or persist (default: wal)`);
    for (const mode of STRESS_MODES) expect(helpOf('stress', 'mode')).toContain(mode);
    expect(helpOf('stress', 'mode')).toContain(`(default: ${DEFAULTS.stressMode})`);
    expect(helpOf('stress', 'workers')).toContain(`(default: ${DEFAULTS.stressWorkers})`);
  });

  it('a value outside the list is refused by the library with EUSAGE', async () => {
    expect(await codeOf(Promise.resolve().then(() => resolveOpenOptions({ journalMode: 'memory' as never })))).toBe('EUSAGE');
    expect(await codeOf(Promise.resolve().then(() => selectBackend('nfs')))).toBe('EUSAGE');
  });

  it('every command offers the global flags, and -v only when it takes a lock', () => {
    for (const spec of COMMANDS) {
      const flags = commandOptions(spec.options, spec.takesLock).map((o) => o.flags);
      expect(flags).toEqual(expect.arrayContaining(['--json', '-q, --quiet', '--debug']));
      expect(flags.includes('-v, --verbose')).toBe(spec.takesLock);
    }
  });
});

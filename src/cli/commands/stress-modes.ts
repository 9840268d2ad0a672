import { DblockError } from '../../errors.js';
import { STRESS_MODES, type StressMode } from '../../stress/options.js';

/**
 * The modes a `dblock stress` run covers: `--compare a,b,c` (each once, in the order given), else
 * `--mode` alone (undefined: the default).
 * @throws DblockError EUSAGE for an unknown or repeated mode, or both flags at once
 */
export function selectStressModes(mode: string | undefined, compare: string | undefined): (StressMode | undefined)[] {
  if (compare === undefined) return [mode as StressMode | undefined];
  if (mode !== undefined) throw new DblockError('EUSAGE', '--compare names the modes: give it or --mode, not both');
  const modes = compare.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!STRESS_MODES.includes(m as StressMode))
      throw new DblockError('EUSAGE', `Expected \`compare\` to list modes of ${STRESS_MODES.join(', ')}, got \`${m}\``);
  }
  if (new Set(modes).size !== modes.length)
    throw new DblockError('EUSAGE', `Expected \`compare\` to name each mode once, got \`${compare}\``);
  return modes as StressMode[];
}

import type { TopLevelSpec } from 'vega-lite';
import { DblockError } from '../errors.js';

/**
 * A Vega-Lite chart as plain JSON. Vega-Lite's own `TopLevelSpec` type is exact but its unions make
 * literal specs fail to type-check for harmless reasons; `compile` validates the spec anyway.
 */
export type ChartSpec = { readonly [key: string]: unknown };

/**
 * Render Vega-Lite specs to SVG strings (null stays null: a chart with nothing to show) with Vega's headless view (no browser, no canvas: text
 * widths are estimated). Vega and Vega-Lite take about a second to load, so they are imported here,
 * only when a report is written, never by the rest of the CLI.
 * @throws DblockError EINTERNAL when a spec does not compile (a bug in the report, not the user's input)
 */
export async function renderSvgs(specs: readonly (ChartSpec | null)[]): Promise<(string | null)[]> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const problems: string[] = [];
  const note = (...args: unknown[]): void => {
    problems.push(args.map(String).join(' '));
  };
  // Vega-Lite logs warnings to the console by default: collect them instead (a report never prints noise).
  const logger = { level: () => logger, warn: note, info: () => logger, debug: () => logger, error: note };
  const svgs: (string | null)[] = [];
  for (const spec of specs) {
    if (spec === null) {
      svgs.push(null);
      continue;
    }
    try {
      const compiled = vegaLite.compile(spec as unknown as TopLevelSpec, { logger: logger as never }).spec;
      const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
      svgs.push(await view.toSVG());
      view.finalize();
    } catch (err) {
      throw new DblockError('EINTERNAL', `could not draw a chart of the report: ${(err as Error).message}`, { cause: err });
    }
  }
  return svgs;
}

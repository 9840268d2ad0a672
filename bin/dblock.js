#!/usr/bin/env node
// CommonJS (bin/package.json): the fastest entry. Start-up is paid by every job run under
// `dblock exec`, so its plain form (`exec … -- CMD`) runs from one bundled file without commander
// (src/cli/fast-exec.ts); everything else loads the full CLI.
const argv = process.argv;

async function run() {
  let code;
  if (argv[2] === 'exec') code = await require('../dist/cli-bundle/fast.cjs').fastMain(argv);
  code ??= await (await import('../dist/cli-bundle/main.js')).main(argv);
  process.exitCode = code;
}

run();

#!/usr/bin/env node
// CommonJS (bin/package.json): the fastest entry. Start-up is paid by every job run under
// `dblock exec`, so its plain form (`exec … -- CMD`) runs from one bundled file without commander
// (src/cli/fast-exec.ts); everything else loads the full CLI.
const argv = process.argv;

/** `dblock … | head`: a reader that went away is not an error worth a stack trace (the output is dropped). */
function quietEpipe() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

async function run() {
  let code;
  // The fast path touches process.stdout/stderr only when it prints (each costs start-up to create).
  if (argv[2] === 'exec') code = await require('../dist/cli-bundle/fast.cjs').fastMain(argv);
  if (code === undefined) {
    quietEpipe();
    code = await (await import('../dist/cli-bundle/main.js')).main(argv);
  }
  process.exitCode = code;
}

run();

#!/bin/sh
":" //; f=; for p in /proc/$$/fd/*; do [ -e "$p" ] && ! [ "$p" -ef "$0" ] && f="$f ${p##*/}"; done; DBLOCK_INHERITED_FDS="$$:$f" exec node "$0" "$@"
// A sh/JS polyglot: run as a program, the line above is shell (`":"` is a no-op) that lists the
// descriptors dblock inherited before Node starts — Node marks them close-on-exec and cannot tell
// them from its own later — and execs node on this file, where the line is a string and a comment.
// The glob's own directory descriptor is closed again by the `-e` test; dash's script descriptor is
// the one that is this file. `exec` hands them all to CMD at their own numbers (src/cli/inherited-fds.ts).
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

/**
 * The CLI could not even load (its errors are reported by main): most often no file descriptor left
 * (`ulimit -n` below ~24) while Node reads the bundle. One line, exit 71 (EX_OSERR), not a stack trace.
 */
function startFailure(err) {
  const code = err?.code;
  const shortage = code === 'EMFILE' || code === 'ENFILE';
  const advice =
    code === 'EMFILE' ? 'raise the limit (ulimit -n) or close descriptors' : 'the system is out of file descriptors: close some';
  const line = shortage
    ? `dblock: too many open files (${code}) while starting: ${err.syscall ?? ''} ${err.path ?? ''}; ${advice}\n`
    : `dblock: internal error while starting: ${err?.message ?? err}\n`;
  const debug = argv.includes('--debug') || process.env.DBLOCK_DEBUG === '1';
  // writeSync on fd 2: creating process.stderr may itself need a descriptor.
  require('node:fs').writeSync(2, debug && err?.stack ? `${line}${err.stack}\n` : line);
  process.exitCode = shortage ? 71 : 70;
}

run().catch(startFailure);

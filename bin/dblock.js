#!/usr/bin/env node
// Blocking flock waits run on libuv's threadpool; give waits on several paths room (must precede first use).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { main } = await import('../dist/cli/main.js');
const code = await main(process.argv);
// A wait that timed out may still sit in the kernel on a threadpool thread; it must not keep us alive.
// (stdout/stderr are synchronous for files, pipes and terminals on POSIX, so nothing is lost.)
process.exit(code);

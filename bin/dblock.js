#!/usr/bin/env node
// Blocking flock waits run on libuv's threadpool; give waits on several paths room (must precede first use).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);

#!/usr/bin/env node
// The CLI is bundled (see scripts/bundle-cli.mjs): start-up is paid by every `dblock exec` job.
const { main } = await import('../dist/cli-bundle/main.js');
process.exitCode = await main(process.argv);

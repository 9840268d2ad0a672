// The server starter lives in src/ so that `dblock bench` in a checkout can start one too.
export { startTestPostgres, type TestPostgres } from '../../src/bench/embedded-postgres.js';

import { writeFileSync } from 'node:fs';
import { startTestPostgres } from './helpers/postgres-server.js';

const s = await startTestPostgres();
writeFileSync('/tmp/pgurl', s.url);
process.on('SIGTERM', async () => {
  await s.stop();
  process.exit(0);
});
setInterval(() => {}, 1000);

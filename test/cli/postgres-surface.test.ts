import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { postgresUrl } from '../helpers/postgres.js';
import { runDblock, startDblock, waitForLine } from '../helpers/processes.js';

const pgEnv = (url = postgresUrl()): NodeJS.ProcessEnv => ({ ...process.env, DBLOCK_POSTGRES_URL: url });

describe('postgres backend: what a person types and reads', () => {
  it('a URL that is not a connection URL is a usage error (64) naming where it came from, before any connection', async () => {
    for (const url of ['notaurl', 'host=db dbname=app']) {
      const flag = await runDblock(['exec', '--backend', 'postgres', '--url', url, '--lock', 'x', '--', 'true']);
      expect(flag.code, url).toBe(64);
      expect(flag.stderr).toMatch(/^dblock: the PostgreSQL URL is not a connection URL.*\n$/);
      const env = await runDblock(['exec', '--backend', 'postgres', '--lock', 'x', '--', 'true'], { env: pgEnv(url) });
      expect(env.code, url).toBe(64);
      expect(env.stderr).toMatch(/^dblock: DBLOCK_POSTGRES_URL is not/);
    }
    expect(await codeOf(lock('x', { backend: 'postgres', url: 'notaurl', timeout: 0 }))).toBe('EUSAGE');
  });

  it('status shows a lock name with a newline or a terminal escape as one escaped line', async () => {
    const name = `odd\nname\x1b[31m ${process.pid}-${Date.now()}`;
    const env = pgEnv();
    const holder = startDblock(['exec', '--backend', 'postgres', '--lock', name, '--', 'sh', '-c', 'echo ready; read line'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    try {
      await waitForLine(holder, (line) => line === 'ready');
      for (const args of [['--lock', name], []]) {
        const status = await runDblock(['status', '--backend', 'postgres', ...args], { env });
        expect(status.code).toBe(0);
        const line = status.stdout.split('\n').find((l) => l.includes(String(process.pid)) && l.startsWith('odd'));
        expect(line).toContain(String.raw`odd\nname\e[31m`);
        expect(status.stdout).not.toContain('\x1b');
      }
    } finally {
      holder.stdin?.end();
      holder.kill('SIGKILL');
    }
  });
});

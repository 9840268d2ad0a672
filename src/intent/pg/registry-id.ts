/**
 * How a PostgreSQL registry is named in output and in DBLOCK_INTENTS: `postgres://host:port/db#scope`,
 * never with the password (the URL given, else the PG* variables node-postgres would use).
 */
export function registryId(url: string | undefined, scope: string, env: NodeJS.ProcessEnv = process.env): string {
  let server = `${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? '5432'}/${env.PGDATABASE ?? env.PGUSER ?? ''}`;
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      server = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
    } catch {
      server = 'unknown';
    }
  }
  return `postgres://${server}#${scope}`;
}

import { hostname } from 'node:os';

/**
 * The host name dblock records for a holder or task seen from other machines: `DBLOCK_HOST` when set
 * (a container's hostname is often a random id; tests simulate two hosts), else the OS's.
 */
export function hostName(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.DBLOCK_HOST;
  return given !== undefined && given !== '' ? given : hostname();
}

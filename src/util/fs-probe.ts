import { statSync } from 'node:fs';

/** Whether anything exists at `path` (following symlinks). Never throws. */
export function pathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (following symlinks). Never throws. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

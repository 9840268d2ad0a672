import { readFileSync } from 'node:fs';

const MAX_DEPTH = 64;

/** This process's ancestors, parent first, from /proc (Linux; just the parent elsewhere). */
export function ancestors(): number[] {
  const out: number[] = [];
  for (let pid = process.ppid; pid > 1 && out.length < MAX_DEPTH; pid = parentOf(pid) ?? 0) out.push(pid);
  return out;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // After "pid (comm)" — comm may hold spaces and parentheses — come: state ppid …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

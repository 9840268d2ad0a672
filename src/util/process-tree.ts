import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every live descendant of `root` (children, grandchildren, …), found by a ppid walk over
 * /proc/PID/stat. Linux only; elsewhere empty. A daemon that double-forked away (re-parented to
 * init or a subreaper) is no longer a descendant and cannot be found this way.
 */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (found.includes(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** This process's ancestors, parent first, from /proc (Linux; just the parent elsewhere). */
export function ancestors(): number[] {
  const out: number[] = [];
  for (let pid = process.ppid; pid > 1 && out.length < MAX_DEPTH; pid = parentOf(pid) ?? 0) out.push(pid);
  return out;
}

const MAX_DEPTH = 64;

/** The numeric entries of /proc (empty where there is no /proc). */
export function listPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm)": state ppid … (comm may itself contain ") ")
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined; // exited while we looked
  }
}

/** A process's command line for a message (`sleep 3600`), or its name, or `?` once it is gone. */
export function commandOf(pid: number): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.replace(/\0+$/, '').split('\0').join(' ');
    if (text !== '') return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Whether `pid` is still running (a zombie counts as gone: it holds nothing and cannot run). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

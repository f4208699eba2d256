import { mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The folder reports are written to, made if missing, or an error that says
 * what is wrong with it before anything is gathered or written.
 */
export class OutDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutDirError';
  }
}

/** File systems of the kernel's own (proc, sysfs, debugfs, devpts, securityfs, cgroup2): Node's mkdir can loop forever there. */
const KERNEL_FS = new Set([0x9fa0, 0x62656572, 0x64626720, 0x1cd1, 0x73636673, 0x63677270]);

function exists(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Makes `dir` (and any missing parents) and returns its absolute path; throws OutDirError naming the problem and the fix. */
export function ensureOutDir(dir: string, flag = '--out'): string {
  const path = resolve(dir);
  const stat = exists(path);
  if (stat && !stat.isDirectory()) throw new OutDirError(`${flag}: ${dir} is a file, not a folder; name a folder (made if missing), e.g. ${flag} reports`);
  if (stat) return path;
  const missing: string[] = [];
  let at = path;
  while (!exists(at) && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (!exists(at)?.isDirectory()) throw new OutDirError(`${flag}: ${at} is a file, so ${dir} cannot be made under it; name another folder`);
  if (KERNEL_FS.has(statfsSync(at).type)) throw new OutDirError(`${flag}: ${dir} is on a kernel file system (${at}), where no report can be written; name a folder such as reports`);
  // One level at a time: a recursive mkdir is what hung under /proc.
  for (const part of missing) {
    try {
      mkdirSync(part);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && exists(part)?.isDirectory()) continue;
      throw new OutDirError(`${flag}: cannot make the folder ${part} (${e.code ?? e.message}); name a folder you can write to`);
    }
  }
  return path;
}

import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of a process in MB from /proc, or NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Direct child processes of `pid` (Linux /proc) whose command line contains `match`, e.g. the capture processes. */
export function childPids(pid: number, match: string): number[] {
  const cmdline = (child: number) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    return readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
      .filter((child) => cmdline(child).includes(match));
  } catch {
    return [];
  }
}

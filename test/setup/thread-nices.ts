import { readdirSync, readFileSync } from 'node:fs';

/** Nice value of every thread of this process, by thread id (Linux /proc: field 19 of `stat`, counted after the command). */
export function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return nices;
}

/** Threads of this process at nice `n`. */
export const threadsAtNice = (n: number): number => [...threadNices().values()].filter((x) => x === n).length;

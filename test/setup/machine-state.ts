/**
 * No test may touch the machine's own state: the state folder a service on this box would use
 * (`/var/lib/uniad-edge` for root, `~/.local/state/uniad-edge` for a user; src/state-dir.ts). The global setup gives
 * the whole run a temporary state folder (`STATE_DIRECTORY`, inherited by every test process and every service it
 * spawns) and compares these folders before and after the run: anything that appeared, vanished or changed there
 * fails the run, named.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { systemStateDir } from '../../src/state-dir.js';

/** The folders a service on this machine would use without a configured or systemd state folder. */
export const machineStateDirs = (): string[] => [systemStateDir, join(homedir(), '.local', 'state', 'uniad-edge')];

/** Path → size and modification time of everything under `dirs` (`depth` levels), the folders themselves included. */
export type StateSnapshot = ReadonlyMap<string, string>;

export function snapshotState(dirs: readonly string[], depth = 3): StateSnapshot {
  const out = new Map<string, string>();
  const walk = (path: string, left: number) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    out.set(path, `${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
    if (!st.isDirectory() || left === 0) return;
    for (const name of readdirSync(path)) walk(join(path, name), left - 1);
  };
  for (const dir of dirs) if (existsSync(dir)) walk(dir, depth);
  return out;
}

/** What differs between two snapshots, one line a path: `+ path` appeared, `- path` vanished, `~ path` changed. */
export function stateChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const changes: string[] = [];
  for (const [path, was] of before) {
    const now = after.get(path);
    if (now === undefined) changes.push(`- ${path}`);
    else if (now !== was) changes.push(`~ ${path}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`+ ${path}`);
  return changes.sort();
}

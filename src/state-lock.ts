/**
 * One instance per state folder: `run` and `demo` take `<stateDir>/lock` before starting anything, so the same
 * config started twice (a manual run beside the systemd one) is refused with the other's PID instead of two
 * services fighting over one MQTT client id, one offline queue and one archive.
 *
 * The lock is a symbolic link whose target is the holder's PID: created atomically (it fails if it exists), readable
 * without a data block, so it works on a full disk, where writing a PID file fails with ENOSPC. A lock whose
 * process is gone (killed, power loss) or is not uniad-edge (a reused PID) is stale and taken over.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { uniadError } from './errors.js';

export interface StateLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

/** Whether `pid` is a live uniad-edge process (its command line names it; /proc is Linux's). */
function holds(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('uniad-edge');
  } catch {
    return true; // no /proc: a live process with that PID is assumed to be the holder
  }
}

export function takeStateLock(path: string, pid = process.pid): StateLock {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      symlinkSync(String(pid), path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    let holder: number;
    try {
      holder = Number(readlinkSync(path));
    } catch {
      holder = NaN; // a plain file where the lock should be: not ours to interpret, treat as stale
    }
    if (Number.isInteger(holder) && holder !== pid && holds(holder)) throw uniadError('INSTANCE_RUNNING', String(holder), path);
    unlinkSync(path);
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      try {
        if (readlinkSync(path) === String(pid)) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * One instance per state folder: `run` and `demo` take `<stateDir>/lock` before starting anything, so the same
 * config started twice (a manual run beside the systemd one) is refused with the other's PID instead of two
 * services fighting over one MQTT client id, one offline queue and one archive.
 *
 * The lock is a symbolic link whose target names the holder, `<pid>:<start time>` (the start time in clock ticks
 * since boot, field 22 of /proc/<pid>/stat): created atomically (it fails if it exists), readable without a data
 * block, so it works on a full disk, where writing a PID file fails with ENOSPC. A PID alone is not an owner: after
 * a reboot or a crash it may belong to anything, even a process whose command line merely mentions uniad-edge
 * (`tail -f uniad-edge.log`). The same PID with the same start time is the same process. A lock whose holder is gone
 * is stale and taken over; a lock of an older release (a PID alone) is held only by a live `uniad-edge run`/`demo`.
 *
 * A state folder where no lock can be made (read-only, a file in its place, another user's) does not stop the
 * service: `takeStateLock` throws STATE_DIR, and the service starts without the lock, degraded, saying so.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { uniadError } from './errors.js';

export interface StateLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

/** When process `pid` started, in clock ticks since boot; undefined when there is no such process or no /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** `node …/uniad-edge.js run …`, `uniad-edge demo`: the program's own name followed by a command that takes the lock. */
function runsUniadEdge(pid: number): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((arg, i) => /^uniad-edge(\.js)?$/.test(basename(arg)) && (args[i + 1] === 'run' || args[i + 1] === 'demo'));
  } catch {
    return alive(pid); // no /proc: a live process with that PID is assumed to be the holder
  }
}

/** Whether the process the lock's target names still runs. */
function holds(target: string): boolean {
  const [pidText, start] = target.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return false;
  if (start === undefined) return runsUniadEdge(pid);
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

/** The lock's target for process `pid`. */
const lockTarget = (pid: number): string => {
  const start = processStartTime(pid);
  return start === undefined ? String(pid) : `${pid}:${start}`;
};

/** The PID a lock's target names (for messages and tests). */
export const lockHolderPid = (target: string): number => Number(target.split(':')[0]);

/** The PID of the live uniad-edge that holds the lock at `path`; undefined when none does. */
export function stateLockHolder(path: string): number | undefined {
  try {
    const target = readlinkSync(path);
    const pid = lockHolderPid(target);
    return pid !== process.pid && holds(target) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock at `path` for process `pid`. Throws INSTANCE_RUNNING when a live instance holds it, STATE_DIR when
 * its folder cannot hold a lock.
 */
export function takeStateLock(path: string, pid = process.pid): StateLock {
  const target = lockTarget(pid);
  const unusable = (err: unknown) => uniadError('STATE_DIR', dirname(path), `no instance lock (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw unusable(err);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      symlinkSync(target, path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw unusable(err);
    }
    let holder: string;
    try {
      holder = readlinkSync(path);
    } catch {
      holder = ''; // a plain file where the lock should be: not ours to interpret, treat as stale
    }
    if (holder !== '' && lockHolderPid(holder) !== pid && holds(holder)) throw uniadError('INSTANCE_RUNNING', String(lockHolderPid(holder)), path);
    try {
      unlinkSync(path);
    } catch (err) {
      throw unusable(err);
    }
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      try {
        if (readlinkSync(path) === target) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

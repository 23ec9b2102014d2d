/**
 * One promotion at a time: `models/promotion.lock` names the running one (version, who, PID, since). It is made
 * whole in a temporary file and hard-linked into place, which fails when the lock exists: no one ever reads half a
 * lock. A lock whose process is gone (killed, power loss) is stale and taken over; a second promotion while the
 * first runs is refused with PROMOTION_RUNNING naming it.
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { uniadError } from '../errors.js';
import { registryFiles } from './store.js';

export interface PromotionHolder {
  /** What is being promoted: a version, or `rollback`. */
  readonly version: string;
  readonly by: string;
  readonly pid: number;
  readonly since: string;
}

export interface PromotionLock {
  readonly holder: PromotionHolder;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The locks this process holds, by their `since`: a lock with our PID that is not one of them is a stale one (a PID reused after a reboot). */
const ours = new Set<string>();

/** Whether the promotion `other` is still running. */
const running = (other: PromotionHolder, pid: number) => (other.pid === pid ? ours.has(other.since) : alive(other.pid));

function readHolder(path: string): PromotionHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PromotionHolder;
  } catch {
    return undefined;
  }
}

/** Takes the promotion lock of the registry in `dir`, or throws PROMOTION_RUNNING naming the promotion that holds it. */
export function takePromotionLock(dir: string, what: { readonly version: string; readonly by: string }, pid = process.pid, now = new Date()): PromotionLock {
  const path = registryFiles(dir).lock;
  mkdirSync(dir, { recursive: true });
  const holder: PromotionHolder = { version: what.version, by: what.by, pid, since: now.toISOString() };
  const temp = `${path}.${pid}.tmp`;
  writeFileSync(temp, JSON.stringify(holder));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const other = readHolder(path);
      if (other !== undefined && running(other, pid)) throw uniadError('PROMOTION_RUNNING', other.version, other.by, String(other.pid), other.since, path);
      unlinkSync(path);
    }
  } finally {
    unlinkSync(temp);
  }
  ours.add(holder.since);
  let released = false;
  return {
    holder,
    release: () => {
      if (released) return;
      released = true;
      ours.delete(holder.since);
      const now = readHolder(path);
      if (now?.pid === pid && now.since === holder.since) unlinkSync(path);
    },
  };
}

/** Runs `fn` under the promotion lock; the lock is released however it ends. */
export async function withPromotionLock<T>(dir: string, what: { readonly version: string; readonly by: string }, fn: (lock: PromotionLock) => T | Promise<T>): Promise<T> {
  const lock = takePromotionLock(dir, what);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}

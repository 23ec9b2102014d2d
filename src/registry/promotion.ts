/**
 * `uniad-edge models promote` and `rollback` from the command line. Under the promotion lock (lock.ts), from start to
 * answer: the registry's active version is written, then, when a service runs on this state folder (the PID in its
 * lock), it is sent SIGHUP, its reload (the same all-or-nothing path as `systemctl reload`) swaps the model to the
 * registry's active one, and it answers in `models/live.json` (live.ts). When it does not apply it (the model does
 * not load, the config became invalid, no answer in time), the registry is put back as it was, the refusal kept in
 * its history, and PROMOTION_REFUSED says why. With no service running, the next start runs the new active version.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { uniadError } from '../errors.js';
import { statePaths } from '../state-dir.js';
import { stateLockHolder } from '../state-lock.js';
import { takePromotionLock } from './lock.js';
import { readLive } from './live.js';
import { readRegistry, writeRegistry, type RegistryDoc } from './store.js';
import { promoted, refused, rolledBack, versionName } from './transitions.js';

export interface PromotionOptions {
  readonly by: string;
  /** How long to wait for the running service's answer. */
  readonly waitMs: number;
  /** Told what happens, one line at a time. */
  readonly say?: (line: string) => void;
}

export interface PromotionDone {
  readonly active: string | null;
  /** Whether a running service applied it (false: no service runs; the next start takes it). */
  readonly live: boolean;
}

/** Promotes `version` of the registry of `stateDir`. */
export const promoteVersion = (stateDir: string, version: string, opts: PromotionOptions) => change(stateDir, version, (doc, at) => promoted(doc, version, opts.by, at), opts);

/** Makes the version active before the active one active again. */
export const rollbackVersion = (stateDir: string, opts: PromotionOptions) => change(stateDir, 'rollback', (doc, at) => rolledBack(doc, opts.by, at), opts);

async function change(stateDir: string, what: string, next: (doc: RegistryDoc, at: Date) => RegistryDoc, opts: PromotionOptions): Promise<PromotionDone> {
  const dir = statePaths(stateDir).models;
  const lock = takePromotionLock(dir, { version: what, by: opts.by });
  try {
    const before = readRegistry(dir);
    const at = new Date();
    const after = next(before, at);
    writeRegistry(dir, after);
    const pid = stateLockHolder(statePaths(stateDir).lock);
    if (pid === undefined) {
      opts.say?.(`${versionName(after.active)} is active; no service runs on ${stateDir}: it starts with it`);
      return { active: after.active, live: false };
    }
    opts.say?.(`${versionName(after.active)} is active; asking the service (PID ${pid}) to reload`);
    const why = await answer(dir, pid, after.active, at.getTime(), opts.waitMs);
    if (why !== undefined) {
      writeRegistry(dir, refused(before, after.active, opts.by, new Date(), why));
      throw uniadError('PROMOTION_REFUSED', versionName(after.active), why);
    }
    opts.say?.(`the service runs ${versionName(after.active)}`);
    return { active: after.active, live: true };
  } finally {
    lock.release();
  }
}

/** SIGHUP to the service, then its answer in live.json: undefined when it runs `version`, else why not. */
async function answer(dir: string, pid: number, version: string | null, since: number, waitMs: number): Promise<string | undefined> {
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const live = readLive(dir);
    if (live !== undefined && live.at >= since) {
      if (live.version === version) return undefined;
      if (live.refused !== undefined && live.refused.at >= since) return live.refused.why;
    }
    await sleep(100);
  }
  return `the service (PID ${pid}) did not answer within ${waitMs / 1000} s (its log says why: journalctl -u uniad-edge)`;
}

/**
 * Whether the service can do its job now (`GET /readyz`): the model is loaded, every camera delivered a frame within
 * twice its watchdog time, and verdicts reach the broker or at least still fit in the offline queue. Pure: the
 * caller gathers the facts.
 */

export interface CameraLiveness {
  readonly id: string;
  readonly watchdogSeconds: number;
  /** When the camera last delivered a frame, on the clock of `now` (monotonic in the service); null before the first. */
  readonly lastFrameAt: number | null;
}

export interface ReadinessFacts {
  readonly modelLoaded: boolean;
  readonly cameras: readonly CameraLiveness[];
  readonly broker: { readonly connected: boolean; readonly queued: number; readonly bound: number };
  readonly now: number;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly Check[];
}

export function readiness(f: ReadinessFacts): Readiness {
  const checks: Check[] = [{ name: 'model', ok: f.modelLoaded, detail: f.modelLoaded ? 'loaded' : 'not loaded' }];
  for (const cam of f.cameras) {
    const limitMs = 2 * cam.watchdogSeconds * 1000;
    const ageMs = cam.lastFrameAt === null ? null : f.now - cam.lastFrameAt;
    const ok = ageMs !== null && ageMs <= limitMs;
    const detail = ageMs === null ? 'no frame yet' : `last frame ${(ageMs / 1000).toFixed(1)} s ago (limit ${limitMs / 1000} s)`;
    checks.push({ name: `camera ${cam.id}`, ok, detail });
  }
  const { connected, queued, bound } = f.broker;
  const brokerOk = connected || queued < bound;
  checks.push({ name: 'broker', ok: brokerOk, detail: connected ? 'connected' : `unreachable, ${queued} of ${bound} verdict messages queued` });
  return { ready: checks.every((c) => c.ok), checks };
}

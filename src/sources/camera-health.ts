/**
 * Whether a camera delivers frames, as the line must be told: a dead camera looked healthy (the status said
 * `online`, the card "no feed yet") while its parts went by uninspected. Pure: frames, camera events and the time go
 * in, the camera's state comes out.
 *
 * - `starting`: no frame yet, for at most its watchdog time from the start;
 * - `up`: frames flow;
 * - `down`: the capture failed (a pipeline error, the process exited, the watchdog found it frozen) or no frame came
 *   for `watchdogSeconds` (a held file camera is not counted: it waits for the model on purpose); `reason` says which,
 *   the first error's message while the camera stays down;
 * - `ended`: a file played to its end (without `loop`).
 * `since` is when the state began, on the wall clock (for people); silence is measured by the caller on the monotonic
 * clock.
 */
import type { CameraEvent } from './events.js';

export type CameraState = 'starting' | 'up' | 'down' | 'ended';

export interface CameraHealth {
  readonly state: CameraState;
  /** Wall-clock ms the state began. */
  readonly since: number;
  /** Why it is down. */
  readonly reason?: string;
  /** The reason is a pipeline error's own message, kept over later exits and timeouts of the same outage. */
  readonly fromError?: boolean;
}

export type HealthInput =
  | { readonly type: 'frame' }
  | { readonly type: 'event'; readonly event: CameraEvent }
  /** The time: `silentMs` since the last frame (or the start), `held` while a consumer holds the camera back. */
  | { readonly type: 'tick'; readonly silentMs: number; readonly watchdogSeconds: number; readonly held: boolean };

export const startingHealth = (at: number): CameraHealth => ({ state: 'starting', since: at });

const down = (health: CameraHealth, at: number, reason: string, fromError = false): CameraHealth => {
  if (health.state === 'ended') return health;
  if (health.state === 'down' && (health.fromError || !fromError)) return health;
  return { state: 'down', since: health.state === 'down' ? health.since : at, reason, ...(fromError && { fromError }) };
};

/** The camera's health after `input` at wall-clock `at`. */
export function nextHealth(health: CameraHealth, input: HealthInput, at: number): CameraHealth {
  switch (input.type) {
    case 'frame':
      return health.state === 'up' ? health : { state: 'up', since: at };
    case 'tick': {
      if (input.held || (health.state !== 'up' && health.state !== 'starting') || input.silentMs <= input.watchdogSeconds * 1000) return health;
      const seconds = Math.floor(input.silentMs / 1000);
      return down(health, at, health.state === 'starting' ? `no frame since the start (${seconds} s)` : `no frame for ${seconds} s`);
    }
    case 'event': {
      const e = input.event;
      switch (e.type) {
        case 'error':
          return down(health, at, `pipeline error: ${e.message}`, true);
        case 'exited':
          return down(health, at, `capture process exited (${e.signal ?? `code ${e.code}`})`);
        case 'frame-timeout':
          return down(health, at, `no frame for ${e.seconds} s`);
        case 'ended':
          return e.loop ? health : { state: 'ended', since: at };
        default:
          return health;
      }
    }
  }
}

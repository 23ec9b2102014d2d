import type { Frame } from '../types.js';

/**
 * A frame must start inference within `deadlineMs` of its capture; one that cannot gets a fail-safe verdict in time
 * for the reject actuator instead of a late score.
 *
 * Times are on one clock, the caller's: `capturedOn(frame)` is when the frame was captured on it (default its
 * `capturedAt`, epoch ms), `now` is now on it. The service counts on the monotonic clock (inspect.ts), so a wall
 * clock stepped back an hour does not hold a frame's deadline off for that hour.
 */

/** When a frame was captured, on the clock the deadline is counted on. */
export type CaptureTime = (frame: Frame) => number;

const byCapturedAt: CaptureTime = (frame) => frame.capturedAt;

/** The time after which the frame is too old to start inference. */
export function expiresAt(frame: Frame, deadlineMs: number, capturedOn: CaptureTime = byCapturedAt): number {
  return capturedOn(frame) + deadlineMs;
}

export function isExpired(frame: Frame, deadlineMs: number, now: number, capturedOn: CaptureTime = byCapturedAt): boolean {
  return now > expiresAt(frame, deadlineMs, capturedOn);
}

/** Splits frames into those still in time and those past their deadline, keeping order within each. */
export function partitionExpired(frames: readonly Frame[], deadlineMs: number, now: number, capturedOn: CaptureTime = byCapturedAt): { live: Frame[]; expired: Frame[] } {
  const live: Frame[] = [];
  const expired: Frame[] = [];
  for (const f of frames) (isExpired(f, deadlineMs, now, capturedOn) ? expired : live).push(f);
  return { live, expired };
}

/** The earliest expiry among `frames`, or null when there are none. */
export function nextExpiry(frames: readonly Frame[], deadlineMs: number, capturedOn: CaptureTime = byCapturedAt): number | null {
  let next: number | null = null;
  for (const f of frames) next = Math.min(next ?? Infinity, expiresAt(f, deadlineMs, capturedOn));
  return next;
}

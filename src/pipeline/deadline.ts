import type { Frame } from '../types.js';

/**
 * A frame must start inference within `deadlineMs` of its capture; one that cannot gets a fail-safe verdict in time
 * for the reject actuator instead of a late score.
 */

/** Epoch ms after which the frame is too old to start inference. */
export function expiresAt(frame: Frame, deadlineMs: number): number {
  return frame.capturedAt + deadlineMs;
}

export function isExpired(frame: Frame, deadlineMs: number, now: number): boolean {
  return now > expiresAt(frame, deadlineMs);
}

/** Splits frames into those still in time and those past their deadline, keeping order within each. */
export function partitionExpired(frames: readonly Frame[], deadlineMs: number, now: number): { live: Frame[]; expired: Frame[] } {
  const live: Frame[] = [];
  const expired: Frame[] = [];
  for (const f of frames) (isExpired(f, deadlineMs, now) ? expired : live).push(f);
  return { live, expired };
}

/** The earliest expiry among `frames`, or null when there are none. */
export function nextExpiry(frames: readonly Frame[], deadlineMs: number): number | null {
  let next: number | null = null;
  for (const f of frames) next = Math.min(next ?? Infinity, expiresAt(f, deadlineMs));
  return next;
}

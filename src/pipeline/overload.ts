import type { Frame } from '../types.js';

/**
 * What a camera gives up when frames arrive faster than the model scores them (config `cameras[].overload`):
 * - `drop-oldest`: up to `maxPerCamera` of its frames wait, in arrival order; a new frame pushes out the oldest.
 *   Every frame gets its chance while the backlog is short: for lines where each part is one frame.
 * - `keep-latest`: only the camera's newest waiting frame is kept; each new one replaces it. The model always looks
 *   at what is in front of the camera now: for cameras that see the same part in many frames.
 * - `wait`: nothing is shed by count. Only for a source the consumer holds back when it falls behind (a recorded
 *   file, sources/flow-gate.ts): the hold bounds what waits, and no frame of the file goes uninspected. Not a config
 *   choice: the service gives it to files not played live.
 * Either way a shed frame is not lost: the caller gives it a fail-safe `deadline` verdict.
 */
export type OverloadPolicy = 'drop-oldest' | 'keep-latest' | 'wait';

/**
 * Splits the frames waiting for the engine into those kept and those shed, each camera by its own policy.
 * Both keep arrival order. Pure.
 */
export function shedOverload(
  waiting: readonly Frame[],
  maxPerCamera: number,
  policyOf: (camera: string) => OverloadPolicy,
): { kept: Frame[]; shed: Frame[] } {
  const counts = new Map<string, number>();
  const kept: Frame[] = [];
  const shed: Frame[] = [];
  // Newest first, so the frames a camera keeps are its latest ones; reversed back at the end.
  for (let i = waiting.length - 1; i >= 0; i--) {
    const frame = waiting[i]!;
    const policy = policyOf(frame.camera);
    const limit = policy === 'keep-latest' ? 1 : policy === 'wait' ? Infinity : maxPerCamera;
    const count = counts.get(frame.camera) ?? 0;
    counts.set(frame.camera, count + 1);
    (count < limit ? kept : shed).push(frame);
  }
  return { kept: kept.reverse(), shed: shed.reverse() };
}

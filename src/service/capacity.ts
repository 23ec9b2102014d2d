/**
 * What a box can carry, as `uniad-edge check` says it: the frames a second the cameras send against the frames a
 * second the model scored in the dry run. An estimate (one batch size, an idle box), said before the line runs: past
 * it, frames are shed as `deadline` verdicts. Pure.
 */
import type { CameraConfig } from '../config.js';

/** Frames a second assumed of a camera that names no `fps` (what most plant cameras send). */
export const assumedCameraFps = 25;

export interface Capacity {
  /** Frames a second all cameras send: their `fps`, else `assumedCameraFps`; files inspected frame by frame wait for the model and count none. */
  readonly needed: number;
  /** Cameras whose rate was assumed. */
  readonly assumed: readonly string[];
  /** Frames a second the model scored in the dry run. */
  readonly measured: number;
}

export function capacity(cameras: readonly CameraConfig[], measured: number): Capacity {
  const sending = cameras.filter((c) => !(c.spec.kind === 'file' && !c.live));
  return {
    needed: sending.reduce((sum, c) => sum + (c.fps ?? assumedCameraFps), 0),
    assumed: sending.filter((c) => c.fps === undefined).map((c) => c.id),
    measured,
  };
}

/** The warning a line past its box's capacity gets; undefined when it fits. */
export function capacityWarning(c: Capacity): string | undefined {
  if (c.needed <= c.measured) return undefined;
  const assumed = c.assumed.length === 0 ? '' : ` (${c.assumed.length} camera(s) without fps counted at ${assumedCameraFps})`;
  return `the cameras send about ${Math.round(c.needed)} frames a second${assumed}, the model scored ${Math.round(c.measured)} a second here in the dry run: about ${Math.round(c.needed - c.measured)} a second would get "deadline" verdicts (cap the cameras' fps, crop less, use a faster provider, or spread the cameras over more boxes)`;
}

import type { CameraConfig } from '../config.js';
import type { OverloadPolicy } from '../pipeline/overload.js';
import { FlowGate } from '../sources/flow-gate.js';

/** Frames that may wait for a busy model, per camera; beyond it the camera's overload policy sheds (`deadline` verdicts). */
export const queuedFramesPerCamera = 32;

export interface FlowControl {
  /** The gate a camera's capture waits at, for cameras that can wait. */
  gateFor(camera: CameraConfig): FlowGate | undefined;
  overloadFor(camera: string): OverloadPolicy;
  /** Holds a camera at a quarter of its queue, releases it below. */
  onBacklog(waiting: ReadonlyMap<string, number>): void;
  /** The cameras now (a reload added, removed or changed some): their overload policies from the next frame. */
  setCameras(cameras: readonly CameraConfig[]): void;
}

/**
 * What happens when frames come faster than the model scores them. A recorded file waits for the model instead of
 * being shed (the gate holds it back; what is still in the pipe when it pauses waits too: policy `wait`); a camera
 * cannot wait, so its configured overload policy sheds.
 */
export function flowControl(initial: readonly CameraConfig[]): FlowControl {
  const waits = (cam: CameraConfig) => cam.spec.kind === 'file' && !cam.live;
  const policies = (cameras: readonly CameraConfig[]) => new Map(cameras.map((cam) => [cam.id, waits(cam) ? ('wait' as const) : cam.overload]));
  let cameras = initial;
  let overloads = policies(cameras);
  const gate = new FlowGate();
  return {
    gateFor: (cam) => (waits(cam) ? gate : undefined),
    overloadFor: (camera) => overloads.get(camera) ?? 'drop-oldest',
    onBacklog: (waiting) => {
      for (const cam of cameras) {
        if ((waiting.get(cam.id) ?? 0) >= queuedFramesPerCamera / 4) gate.hold(cam.id);
        else gate.release(cam.id);
      }
    },
    setCameras: (next) => {
      // a camera that is gone must not stay held
      for (const cam of cameras) if (!next.some((n) => n.id === cam.id)) gate.release(cam.id);
      cameras = next;
      overloads = policies(next);
    },
  };
}

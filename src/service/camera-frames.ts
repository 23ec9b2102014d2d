import { merge, type Observable } from 'rxjs';
import type { CameraConfig } from '../config.js';
import { captureCamera } from '../sources/capture.js';
import type { CameraEvent } from '../sources/events.js';
import type { Frame, Logger } from '../types.js';
import type { FlowControl } from './flow-control.js';

export interface CameraFramesOptions {
  /** Every frame's size: the model's input. */
  readonly width: number;
  readonly height: number;
  readonly flow: FlowControl;
  readonly logger: Logger;
  readonly onCameraEvent?: (event: CameraEvent) => void;
}

export interface CameraFrames {
  /** The frames of all cameras, each camera in its own capture process. */
  readonly frames$: Observable<Frame>;
  /** Capture restarts per camera since the start. */
  restarts(): Record<string, number>;
}

export function cameraFrames(cameras: readonly CameraConfig[], opts: CameraFramesOptions): CameraFrames {
  const restarts: Record<string, number> = {};
  const frames$ = merge(
    ...cameras.map((cam) =>
      captureCamera(cam, {
        width: opts.width,
        height: opts.height,
        logger: opts.logger,
        live: cam.live,
        gate: opts.flow.gateFor(cam),
        onEvent: (event) => {
          if (event.type === 'restarting') restarts[event.camera] = (restarts[event.camera] ?? 0) + 1;
          opts.logger.info('camera', { ...event });
          opts.onCameraEvent?.(event);
        },
      }),
    ),
  );
  return { frames$, restarts: () => ({ ...restarts }) };
}

import { merge, type Observable } from 'rxjs';
import type { CameraConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { captureCamera } from '../sources/capture.js';
import { chooseDecoder, elementsFor } from '../sources/decoder.js';
import { installedElements } from '../sources/gst-elements.js';
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

/**
 * Each camera's decoder, resolved once at start against the GStreamer elements installed here (gst-inspect-1.0 is
 * asked only when a camera could use the NVMM path); a camera that does not get what it asked for says so once.
 */
function withDecoders(cameras: readonly CameraConfig[], logger: Logger) {
  const nvmmCandidates = cameras.filter((c) => c.spec.kind === 'csi' || (c.decoder !== 'software' && (c.spec.kind === 'rtsp' || c.spec.kind === 'file')));
  const available = installedElements([...new Set(nvmmCandidates.flatMap((c) => elementsFor(c.spec)))]);
  return cameras.map((cam) => {
    const decision = chooseDecoder(cam.spec, cam.decoder, available);
    if (cam.spec.kind === 'csi') {
      const missing = elementsFor(cam.spec).filter((e) => !available.has(e));
      if (missing.length > 0) throw uniadError('SOURCE_NVMM', cam.id, missing.join(', '));
    }
    // Asked for nvmm and not given it is worth a warning; auto on a machine without the elements is expected.
    if (decision.fallback) logger[cam.decoder === 'nvmm' ? 'warn' : 'info'](`camera ${cam.id}: ${decision.fallback}`, { camera: cam.id });
    else logger.info(`camera ${cam.id}: decoder ${decision.decoder}`, { camera: cam.id });
    return { ...cam, decoder: decision.decoder };
  });
}

export function cameraFrames(cameras: readonly CameraConfig[], opts: CameraFramesOptions): CameraFrames {
  const restarts: Record<string, number> = {};
  const frames$ = merge(
    ...withDecoders(cameras, opts.logger).map((cam) =>
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

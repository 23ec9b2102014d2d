import { defer, map, type Observable } from 'rxjs';
import type { CameraConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { captureCamera } from '../sources/capture.js';
import { chooseDecoder, elementsFor } from '../sources/decoder.js';
import { installedElements } from '../sources/gst-elements.js';
import type { CameraEvent } from '../sources/events.js';
import type { Frame, Logger, PartTrigger, RegionLayout } from '../types.js';
import type { FlowControl } from './flow-control.js';
import { keyedMerge } from './keyed-merge.js';

export interface CameraFramesOptions {
  /** Every frame's size: the model's input. */
  readonly width: number;
  readonly height: number;
  readonly flow: FlowControl;
  /** Camera id → its regions (service/regions.ts), for the cameras that have them; absent: none has. */
  readonly layouts?: ReadonlyMap<string, readonly RegionLayout[]>;
  readonly logger: Logger;
  /** A software-triggered camera's part signals (service/parts.ts). */
  readonly triggersFor?: (camera: string) => Observable<PartTrigger> | undefined;
  /** Every camera event, after the capture logged it (sources/camera-log.ts): log nothing of it again. */
  readonly onCameraEvent?: (event: CameraEvent) => void;
}

export interface CameraFrames {
  /** The frames of all cameras, each camera in its own capture process; completes when every camera ended. */
  readonly frames$: Observable<Frame>;
  /** Capture restarts per camera since the start. */
  restarts(): Record<string, number>;
  /**
   * Resolves the decoders of cameras to start while running (a reload): throws as at start (SOURCE_NVMM), before
   * anything changed. The function it returns starts them, each in place of a running camera with its id, with the
   * region layouts of the reloaded config.
   */
  prepare(cameras: readonly CameraConfig[], layouts?: ReadonlyMap<string, readonly RegionLayout[]>): () => void;
  /** Stops a camera: its capture process ends; the frames it delivered are decided all the same. */
  remove(id: string): void;
}

/**
 * Each camera's decoder, resolved once at start against the GStreamer elements installed here (gst-inspect-1.0 is
 * asked only when a camera could use the NVMM path); a camera that does not get what it asked for says so once.
 */
export function withDecoders(cameras: readonly CameraConfig[], logger: Logger) {
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
  /** The next seq of each camera: a camera restarted by a reload goes on from it, so its verdict ids never repeat. */
  const nextSeq = new Map<string, number>();
  let layouts = opts.layouts;
  const capture = (cam: ReturnType<typeof withDecoders>[number]): Observable<Frame> =>
    defer(() => {
      const from = nextSeq.get(cam.id) ?? 0;
      // A camera's regions replace its crop (an implied region `frame` carries it).
      const own = layouts?.get(cam.id);
      return captureCamera(own !== undefined ? { ...cam, crop: undefined, regionLayouts: own } : cam, {
        width: opts.width,
        height: opts.height,
        logger: opts.logger,
        live: cam.live,
        gate: opts.flow.gateFor(cam),
        triggers: opts.triggersFor?.(cam.id),
        onEvent: (event) => {
          if (event.type === 'restarting') restarts[event.camera] = (restarts[event.camera] ?? 0) + 1;
          opts.onCameraEvent?.(event);
        },
      }).pipe(
        map((frame) => {
          nextSeq.set(cam.id, from + frame.seq + 1);
          return from === 0 ? frame : { ...frame, seq: from + frame.seq };
        }),
      );
    });
  const running = keyedMerge(withDecoders(cameras, opts.logger).map((cam) => [cam.id, capture(cam)] as const));
  return {
    frames$: running.output$,
    restarts: () => ({ ...restarts }),
    prepare: (added, next) => {
      const resolved = withDecoders(added, opts.logger);
      return () => {
        layouts = next ?? layouts;
        for (const cam of resolved) running.add(cam.id, capture(cam));
      };
    },
    remove: (id) => running.remove(id),
  };
}

/**
 * A camera's own image size, for the one question only it answers: does the configured crop fit? A crop outside the
 * image fails GStreamer's negotiation with "Internal data stream error", which reads like a broken source; asked
 * once, after such a failure, the size turns it into an error that names the crop (capture.ts).
 */
import type { Crop } from '../types.js';
import { spawnCaptureProcess } from './capture-process.js';
import { sourceSizeProbe, type GstSourceSpec } from './launch.js';

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Whether `crop` lies inside an image of `size`. Pure. */
export const cropFits = (crop: Crop, size: ImageSize): boolean => crop.x + crop.width <= size.width && crop.y + crop.height <= size.height;

/**
 * The size of the frames `spec` decodes to, from one frame of a short-lived capture process; undefined when none came
 * in `timeoutMs` or `cancel` ended it first.
 */
export function probeSourceSize(spec: GstSourceSpec, timeoutMs = 15_000): { readonly size: Promise<ImageSize | undefined>; cancel(): void } {
  let stop = () => undefined as void;
  const size = new Promise<ImageSize | undefined>((resolve) => {
    let found: ImageSize | undefined;
    const proc = spawnCaptureProcess(
      { kind: 'gstreamer', launch: sourceSizeProbe(spec) },
      {
        onFrame: () => proc.stop(),
        onMessage: (message) => {
          if (message.type !== 'caps') return;
          found = { width: message.width, height: message.height };
          proc.stop();
        },
        onStderr: () => undefined,
        onClose: () => {
          clearTimeout(timer);
          resolve(found);
        },
      },
      2000,
    );
    const timer = setTimeout(() => proc.stop(), timeoutMs);
    stop = () => proc.stop();
  });
  return { size, cancel: () => stop() };
}

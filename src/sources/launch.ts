/**
 * GStreamer launch descriptions for each source kind: decode, crop, scale, convert to RGB, end in an appsink named
 * `sink`. Pure strings; the capture child parses them with `new Pipeline()`.
 */
import type { Crop } from '../types.js';
import type { SourceSpec } from './uri.js';

export interface LaunchOutput {
  /** Exact size of every frame the appsink delivers. */
  readonly width: number;
  readonly height: number;
  /** Region of the source image to keep, applied before scaling. */
  readonly crop?: Crop;
  /** Upper bound on frames per second; a slower source is not padded with duplicates. */
  readonly fps?: number;
  /**
   * Live: frames come at the source's pace and the oldest are dropped when the consumer falls behind (a camera).
   * Not live: every frame is delivered, as fast as the consumer takes them (inspecting a recorded file).
   * Defaults to not live for files and live for everything else; RTSP and V4L2 are always live.
   */
  readonly live?: boolean;
  /** Stop a `test:` source after this many frames (tests). */
  readonly numBuffers?: number;
}

/** The appsink's name in every description. */
export const sinkName = 'sink';

/** Frame rate of a `test:` source when no fps is configured. */
const defaultTestFps = 30;

/** rtspsrc jitter-buffer latency: low enough for a reject actuator, high enough to reorder a LAN's packets. */
const rtspLatencyMs = 200;

/** A gst-launch string literal: paths and URLs with spaces, quotes or `!` stay one property value. */
export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A positive frame rate as a GStreamer fraction, e.g. 12.5 → `25/2`. */
export function fraction(fps: number): string {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`fps must be a positive number, got ${fps}`);
  const denominator = 1000;
  const numerator = Math.round(fps * denominator);
  const divisor = gcd(numerator, denominator);
  return `${numerator / divisor}/${denominator / divisor}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function isLive(spec: SourceSpec, out: LaunchOutput): boolean {
  if (spec.kind === 'rtsp' || spec.kind === 'v4l2' || spec.kind === 'csi') return true;
  return out.live ?? spec.kind === 'test';
}

/** Elements up to decoded video of any raw format. */
function decoded(spec: SourceSpec, out: LaunchOutput, live: boolean): string {
  switch (spec.kind) {
    case 'rtsp':
      // TCP-interleaved RTP: a lost UDP packet smears a frame, and a smeared part looks like a defect to the model.
      return `rtspsrc location=${quoted(spec.uri)} latency=${rtspLatencyMs} protocols=tcp ! decodebin`;
    case 'file':
      return `filesrc location=${quoted(spec.path)} ! decodebin`;
    case 'v4l2':
      // decodebin passes raw formats through and decodes the MJPEG most USB cameras send at high resolutions.
      return `v4l2src device=${quoted(spec.device)} ! decodebin`;
    case 'csi':
      // A CSI sensor has no CPU path: libargus delivers NVMM buffers; nvvidconv brings them to system memory.
      return `nvarguscamerasrc sensor-id=${spec.sensor} ! nvvidconv ! video/x-raw,format=RGBA`;
    case 'test': {
      const count = out.numBuffers === undefined ? '' : ` num-buffers=${out.numBuffers}`;
      return `videotestsrc pattern=${spec.pattern} is-live=${live}${count} ! video/x-raw,framerate=${fraction(out.fps ?? defaultTestFps)}`;
    }
  }
}

/** Caps the rate by dropping frames only; the range also admits sources slower than the cap. */
function rateLimit(spec: SourceSpec, fps: number | undefined): string[] {
  if (fps === undefined || spec.kind === 'test') return [];
  return ['videorate drop-only=true', `video/x-raw,framerate=[0/1,${fraction(fps)}]`];
}

function cropped(crop: Crop | undefined): string[] {
  if (crop === undefined) return [];
  // right/bottom -1: videocrop derives them from the caps that follow, so the source size need not be known here.
  return [`videocrop left=${crop.x} top=${crop.y} right=-1 bottom=-1`, `video/x-raw,width=${crop.width},height=${crop.height}`];
}

function appsink(spec: SourceSpec, live: boolean): string {
  // Bounded always: an unbounded appsink grows by hundreds of MB a second behind a slow consumer.
  // A recorded file is not a camera: it waits for the consumer (drop=false) so every frame is inspected,
  // unless it is played as live, then it is paced by the clock (sync=true) like the camera it stands for.
  const queue = live ? 'max-buffers=2 drop=true' : 'max-buffers=2 drop=false';
  const sync = live && spec.kind === 'file';
  return `appsink name=${sinkName} ${queue} sync=${sync}`;
}

/**
 * The launch description for one camera. The image is letterboxed, not squashed, into width x height: the model
 * was trained on undistorted parts, so a squashed part would look anomalous. Crop to the output's aspect ratio to
 * avoid the borders.
 */
export function launchString(spec: SourceSpec, out: LaunchOutput): string {
  const live = isLive(spec, out);
  return [
    decoded(spec, out, live),
    ...rateLimit(spec, out.fps),
    ...cropped(out.crop),
    'videoscale add-borders=true',
    `video/x-raw,width=${out.width},height=${out.height},pixel-aspect-ratio=1/1`,
    'videoconvert',
    'video/x-raw,format=RGB',
    appsink(spec, live),
  ].join(' ! ');
}

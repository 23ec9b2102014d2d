/**
 * GStreamer launch descriptions for each source kind: decode, crop, scale, convert to RGB, end in an appsink named
 * `sink`. Pure strings; the capture child parses them with `new Pipeline()`.
 */
import type { Crop } from '../types.js';
import type { SourceSpec } from './uri.js';

/** The sources a launch description opens (a GenICam camera's frames come from Aravis, genicam.ts). */
export type GstSourceSpec = Exclude<SourceSpec, { kind: 'genicam' }>;

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
  /**
   * Regions of the camera image (config `cameras[].regions`): each cropped and scaled to its own size, RGB, into its
   * own appsink (`regionSinks`); `width`, `height` and `crop` above are then unused.
   */
  readonly regions?: readonly RegionOutput[];
  /** The camera's resolution as configured: a source of another size fails (not-negotiated) instead of being read wrong. */
  readonly size?: { readonly width: number; readonly height: number };
}

/** One region as capture delivers it: `crop` of the camera image scaled into width x height (letterboxed). */
export interface RegionOutput {
  readonly crop: Crop;
  readonly width: number;
  readonly height: number;
}

/** The appsink's name in every description (of a camera with two regions or more: `regionSinks`). */
export const sinkName = 'sink';

/** The appsinks of a camera's regions, in region order: `sink` for one, `sink-0`, `sink-1`, ... for more. */
export function regionSinks(count: number): string[] {
  return count === 1 ? [sinkName] : Array.from({ length: count }, (_, i) => `${sinkName}-${i}`);
}

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

function isLive(spec: GstSourceSpec, out: LaunchOutput): boolean {
  if (spec.kind === 'rtsp' || spec.kind === 'v4l2' || spec.kind === 'csi') return true;
  return out.live ?? spec.kind === 'test';
}

/** Elements up to decoded video of any raw format. */
function decoded(spec: GstSourceSpec, out: LaunchOutput, live: boolean): string {
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
function rateLimit(spec: GstSourceSpec, fps: number | undefined): string[] {
  if (fps === undefined || spec.kind === 'test') return [];
  return ['videorate drop-only=true', `video/x-raw,framerate=[0/1,${fraction(fps)}]`];
}

function cropped(crop: Crop | undefined): string[] {
  if (crop === undefined) return [];
  // right/bottom -1: videocrop derives them from the caps that follow, so the source size need not be known here.
  return [`videocrop left=${crop.x} top=${crop.y} right=-1 bottom=-1`, `video/x-raw,width=${crop.width},height=${crop.height}`];
}

function appsink(spec: GstSourceSpec, live: boolean): string {
  // Bounded always: an unbounded appsink grows by hundreds of MB a second behind a slow consumer.
  // A recorded file is not a camera: it waits for the consumer (drop=false) so every frame is inspected,
  // unless it is played as live, then it is paced by the clock (sync=true) like the camera it stands for.
  const queue = live ? 'max-buffers=2 drop=true' : 'max-buffers=2 drop=false';
  const sync = live && spec.kind === 'file';
  return `appsink name=${sinkName} ${queue} sync=${sync}`;
}

/**
 * A description that delivers the source's frames as they are decoded, before any crop or scale: its caps are the
 * camera's own image size (source-size.ts).
 */
export function sourceSizeProbe(spec: GstSourceSpec): string {
  const live = isLive(spec, { width: 0, height: 0 });
  return [decoded(spec, { width: 0, height: 0 }, live), 'videoconvert', 'video/x-raw,format=RGB', `appsink name=${sinkName} max-buffers=1 drop=true sync=false`].join(' ! ');
}

/**
 * Decoded video of any raw format to what the model takes: cropped, letterboxed (not squashed) into width x height,
 * RGB. The model was trained on undistorted parts, so a squashed part would look anomalous; crop to the output's
 * aspect ratio to avoid the borders.
 */
export function toModelInput(out: LaunchOutput): string[] {
  return [...cropped(out.crop), 'videoscale add-borders=true', `video/x-raw,width=${out.width},height=${out.height},pixel-aspect-ratio=1/1`, 'videoconvert', 'video/x-raw,format=RGB'];
}

/**
 * Decoded video of any raw format to each region's image: the whole frame converted to RGB once (videocrop on 4:2:0
 * video rounds an odd offset down to even, and a region must start where the config says), then per region cropped
 * and scaled, RGB being the path geometry/letterbox.ts reproduces to the bit. Two regions or more go through a tee,
 * each branch with its own queue (a tee's branches must not wait on each other to preroll) and its own appsink that
 * never drops: a live source drops whole frames before the tee instead, so every appsink holds the same frames and
 * the capture child pulls them in step, one of each a frame (capture-child.ts).
 */
export function regionsTail(out: LaunchOutput, regions: readonly RegionOutput[], live: boolean, sync: boolean): string {
  // A capsfilter by name: gst-launch refuses two caps shorthands in a row (after a test source's framerate).
  const head = [...(out.size ? [`capsfilter caps=video/x-raw,width=${out.size.width},height=${out.size.height}`] : []), 'videoconvert', 'video/x-raw,format=RGB'];
  const branch = (r: RegionOutput) => [...cropped(r.crop), 'videoscale add-borders=true', `video/x-raw,width=${r.width},height=${r.height},pixel-aspect-ratio=1/1`];
  if (regions.length === 1) {
    const queue = live ? 'max-buffers=2 drop=true' : 'max-buffers=2 drop=false';
    return [...head, ...branch(regions[0]!), `appsink name=${sinkName} ${queue} sync=${sync}`].join(' ! ');
  }
  const drop = live ? ['queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0'] : [];
  const sinks = regionSinks(regions.length);
  const branches = regions.map((r, i) => ['regions.', 'queue max-size-buffers=1 max-size-bytes=0 max-size-time=0', ...branch(r), `appsink name=${sinks[i]} max-buffers=1 drop=false sync=${sync}`].join(' ! '));
  return [[...head, ...drop, 'tee name=regions'].join(' ! '), ...branches].join(' ');
}

/** The launch description for one camera that GStreamer opens itself (a GenICam camera is opened by genicam.ts). */
export function launchString(spec: GstSourceSpec, out: LaunchOutput): string {
  const live = isLive(spec, out);
  if (out.regions !== undefined) return [decoded(spec, out, live), ...rateLimit(spec, out.fps), regionsTail(out, out.regions, live, live && spec.kind === 'file')].join(' ! ');
  return [decoded(spec, out, live), ...rateLimit(spec, out.fps), ...toModelInput(out), appsink(spec, live)].join(' ! ');
}

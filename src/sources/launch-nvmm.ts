/**
 * GStreamer launch descriptions for a Jetson: the hardware decoder (nvv4l2decoder, H.264 and H.265 alike) and the
 * VIC converter (nvvidconv) on NVMM buffers, and nvarguscamerasrc for CSI cameras. Same output as launch.ts —
 * RGB frames of exactly width x height, cropped, letterboxed, into the appsink `sink` — so the model sees the same
 * geometry whichever decoder ran.
 *
 * The letterbox: nvvidconv crops and scales but adds no borders. With a crop in the config the fitted size is
 * known here, so nvvidconv crops and scales on the VIC straight to it, and `videoscale add-borders=true` — the
 * software path's own letterbox, so the borders fall on the same rows — only pads that model-sized frame on the
 * CPU. (`videobox` was tried for the padding: GStreamer 1.22's blackens the first and last row.) Without a crop the source size is not known until caps are negotiated, so
 * nvvidconv only converts (NV12 in NVMM → RGBA in system memory, at the source size) and `videoscale add-borders`
 * fits it on the CPU, as in the software path. Give a crop to keep 1080p scaling off the CPU.
 */
import { letterboxRect } from '../geometry/letterbox.js';
import type { Crop } from '../types.js';
import { fraction, quoted, regionsTail, sinkName, type LaunchOutput } from './launch.js';
import type { SourceSpec } from './uri.js';

/** The NVIDIA elements each kind of source needs on the NVMM path. */
export const nvmmElements = {
  decode: ['nvv4l2decoder', 'nvvidconv'],
  csi: ['nvarguscamerasrc', 'nvvidconv'],
} as const;

/** Source kinds the NVMM path decodes (V4L2 and test sources are raw or MJPEG and stay on the software path). */
export type NvmmSpec = Extract<SourceSpec, { kind: 'rtsp' | 'file' | 'csi' }>;

export const isNvmmSource = (spec: SourceSpec): spec is NvmmSpec => spec.kind === 'rtsp' || spec.kind === 'file' || spec.kind === 'csi';

/** rtspsrc jitter-buffer latency, as on the software path. */
const rtspLatencyMs = 200;

/** Elements up to decoded frames in NVMM memory. parsebin depayloads and parses H.264 and H.265 alike. */
function decodedNvmm(spec: NvmmSpec): string {
  switch (spec.kind) {
    case 'rtsp':
      return `rtspsrc location=${quoted(spec.uri)} latency=${rtspLatencyMs} protocols=tcp ! parsebin ! nvv4l2decoder`;
    case 'file':
      return `filesrc location=${quoted(spec.path)} ! parsebin ! nvv4l2decoder`;
    case 'csi':
      return `nvarguscamerasrc sensor-id=${spec.sensor}`;
  }
}

/** nvvidconv's crop: the rectangle's edges in source pixels (right = x + width), not margins. */
const vicCrop = (c: Crop) => `left=${c.x} right=${c.x + c.width} top=${c.y} bottom=${c.y + c.height}`;

/** Crop, scale and letterbox to out.width x out.height RGBA in system memory. */
function fitted(out: LaunchOutput): string[] {
  if (out.crop === undefined) {
    return ['nvvidconv', 'video/x-raw,format=RGBA', 'videoscale add-borders=true', `video/x-raw,width=${out.width},height=${out.height},pixel-aspect-ratio=1/1`];
  }
  const fit = letterboxRect(out.crop.width, out.crop.height, out.width, out.height);
  return [
    `nvvidconv ${vicCrop(out.crop)}`,
    `video/x-raw,format=RGBA,width=${fit.width},height=${fit.height},pixel-aspect-ratio=1/1`,
    'videoscale add-borders=true',
    `video/x-raw,width=${out.width},height=${out.height},pixel-aspect-ratio=1/1`,
  ];
}

function rateLimit(fps: number | undefined): string[] {
  return fps === undefined ? [] : ['videorate drop-only=true', `video/x-raw,framerate=[0/1,${fraction(fps)}]`];
}

/** Same appsink policy as launch.ts: live sources drop, recorded files wait (or are paced, when played live). */
function appsink(spec: NvmmSpec, out: LaunchOutput): string {
  const live = spec.kind !== 'file' || out.live === true;
  return `appsink name=${sinkName} max-buffers=2 drop=${live} sync=${live && spec.kind === 'file'}`;
}

/**
 * The launch description for one camera on the NVMM path. Regions are cut from the whole frame in system memory
 * (launch.ts `regionsTail`): nvvidconv brings it there as RGBA, decoded on the hardware all the same.
 */
export function nvmmLaunchString(spec: NvmmSpec, out: LaunchOutput): string {
  if (out.regions !== undefined) {
    const live = spec.kind !== 'file' || out.live === true;
    return [decodedNvmm(spec), 'nvvidconv', 'video/x-raw,format=RGBA', ...rateLimit(out.fps), regionsTail(out, out.regions, live, live && spec.kind === 'file')].join(' ! ');
  }
  return [decodedNvmm(spec), ...fitted(out), ...rateLimit(out.fps), 'videoconvert', 'video/x-raw,format=RGB', appsink(spec, out)].join(' ! ');
}

/**
 * The same description with each NVIDIA element (and its properties) replaced by `replacement`: what a machine
 * without them can still parse, so everything but those elements is checked there.
 */
export function withoutNvidiaElements(description: string, replacement = 'identity'): string {
  return description
    .split(' ! ')
    .map((part) => (/^nv(v4l2decoder|vidconv|arguscamerasrc)\b/.test(part) ? replacement : part))
    .join(' ! ');
}

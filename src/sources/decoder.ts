/**
 * Which decoder a camera runs: `decoder: auto | software | nvmm` from the config, resolved against the GStreamer
 * elements this machine has (auto = nvmm where the NVIDIA elements exist). Pure; the element list comes from
 * `installedElements` (gst-elements.ts) once at start.
 */
import type { DecoderChoice } from '../types.js';
import { isNvmmSource, nvmmElements } from './launch-nvmm.js';
import type { SourceSpec } from './uri.js';

export interface DecoderDecision {
  readonly decoder: 'software' | 'nvmm';
  /** Set when the camera does not get what was asked for: the one line the log says about it. */
  readonly fallback?: string;
}

/** NVIDIA elements `spec` needs on the NVMM path. */
export function elementsFor(spec: SourceSpec): readonly string[] {
  return spec.kind === 'csi' ? nvmmElements.csi : nvmmElements.decode;
}

/**
 * The decoder for one camera. A CSI camera always takes the NVMM path (libargus has no other); V4L2 and test sources
 * always the software path (raw or MJPEG frames, nothing for nvv4l2decoder). RTSP and files follow `wanted`, and
 * fall back to software when an NVIDIA element is missing. `missing` for a CSI camera is left to the caller: without
 * nvarguscamerasrc such a camera cannot run at all.
 */
export function chooseDecoder(spec: SourceSpec, wanted: DecoderChoice, available: ReadonlySet<string>): DecoderDecision {
  if (spec.kind === 'csi') return { decoder: 'nvmm' };
  if (!isNvmmSource(spec)) {
    return wanted === 'nvmm' ? { decoder: 'software', fallback: `decoder nvmm decodes rtsp and file sources; a ${spec.kind} source decodes in software` } : { decoder: 'software' };
  }
  if (wanted === 'software') return { decoder: 'software' };
  const missing = elementsFor(spec).filter((e) => !available.has(e));
  if (missing.length === 0) return { decoder: 'nvmm' };
  return { decoder: 'software', fallback: `decoder ${wanted}: ${missing.join(', ')} not found by gst-inspect-1.0; decoding in software (decodebin)` };
}

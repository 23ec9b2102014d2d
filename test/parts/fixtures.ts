/** Verdicts and frames for the parts tests. */
import type { Frame, PartTrigger, Reason, Verdict } from '../../src/types.js';

/** A frame verdict: `score` against `threshold` (0.5) decides it, unless `reason` says it was never scored. */
export function verdict(seq: number, score: number | null, opts: { threshold?: number; reason?: Reason; partId?: string; camera?: string; failSafe?: boolean } = {}): Verdict {
  const threshold = opts.threshold ?? 0.5;
  const reason = opts.reason ?? (score !== null && score >= threshold ? 'anomaly' : 'ok');
  const reject = reason === 'anomaly' || ((reason === 'deadline' || reason === 'error') && (opts.failSafe ?? true));
  return {
    id: `${opts.camera ?? 'cam1'}:run1:${seq}`,
    camera: opts.camera ?? 'cam1',
    line: 'line1',
    product: 'bolt',
    seq,
    capturedAt: 1000 + seq,
    decidedAt: 1100 + seq,
    score: reason === 'deadline' || reason === 'error' ? null : score,
    threshold,
    normalizedScore: score === null ? null : score / threshold,
    reject,
    reason,
    model: 'tiny@1',
    ...(opts.partId === undefined ? {} : { partId: opts.partId }),
  };
}

/** A 4×4 frame of one grey level (or the pixels given), received at `capturedAt`. */
export function frame(seq: number, capturedAt: number, opts: { camera?: string; grey?: number; trigger?: PartTrigger; pixels?: Uint8Array; size?: number } = {}): Frame {
  const size = opts.size ?? 4;
  return {
    camera: opts.camera ?? 'cam1',
    line: 'line1',
    product: 'bolt',
    seq,
    capturedAt,
    width: size,
    height: size,
    pixels: opts.pixels ?? new Uint8Array(size * size * 3).fill(opts.grey ?? 0),
    ...(opts.trigger === undefined ? {} : { trigger: opts.trigger }),
  };
}

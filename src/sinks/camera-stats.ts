/**
 * Per-camera figures over the last minute (fps, rejects a minute, capture-to-publish latency) for the periodic stats
 * line, the retained status topic and the dashboard. Totals count since the start. Pure arithmetic on what it is
 * given: the caller passes the clocks (the window runs on the monotonic one in the service, so a wall clock stepped
 * back an hour does not keep an hour of samples in a minute's window).
 */
import type { Verdict } from '../types.js';

export interface CameraFigures {
  /** Verdicts since the start, by reason, and rejects (a deadline or error verdict may reject too). */
  readonly frames: number;
  readonly rejects: number;
  readonly deadline: number;
  readonly error: number;
  /** Over the window. */
  readonly fps: number;
  readonly rejectsPerMin: number;
  /** Capture-to-publish latency over the window, ms; null with no verdict in it. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  /** Epoch ms of the last verdict; null before the first. */
  readonly lastAt: number | null;
}

interface Sample {
  readonly at: number;
  readonly latencyMs: number;
  readonly reject: boolean;
}

/** The value below which `q` of the sorted values lie (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export class CameraStats {
  private readonly samples = new Map<string, Sample[]>();
  private readonly totals = new Map<string, { frames: number; rejects: number; deadline: number; error: number; lastAt: number }>();

  /** `windowMs`: how far back the rates and latencies look. */
  constructor(private readonly windowMs = 60_000) {}

  /**
   * One published verdict; `publishedAt` is when it was handed to the MQTT sink (epoch ms, like `capturedAt`), `windowAt`
   * the same moment on the clock `snapshot` is asked with.
   */
  record(v: Verdict, publishedAt: number, windowAt = publishedAt): void {
    const list = this.samples.get(v.camera) ?? [];
    list.push({ at: windowAt, latencyMs: publishedAt - v.capturedAt, reject: v.reject });
    this.samples.set(v.camera, list);
    const t = this.totals.get(v.camera) ?? { frames: 0, rejects: 0, deadline: 0, error: 0, lastAt: 0 };
    t.frames++;
    if (v.reject) t.rejects++;
    if (v.reason === 'deadline') t.deadline++;
    if (v.reason === 'error') t.error++;
    t.lastAt = publishedAt;
    this.totals.set(v.camera, t);
  }

  /** Figures of every camera named (cameras without verdicts yet get zeros), as of `now` (the window's clock). */
  snapshot(cameras: readonly string[], now: number): Record<string, CameraFigures> {
    const out: Record<string, CameraFigures> = {};
    for (const camera of cameras) {
      const list = this.prune(camera, now);
      const t = this.totals.get(camera);
      // Rates over the time actually covered, so the first seconds after a start are not diluted by a full minute.
      const span = list.length === 0 ? this.windowMs : Math.max(1000, Math.min(this.windowMs, now - list[0]!.at));
      const latencies = list.map((s) => s.latencyMs).sort((a, b) => a - b);
      out[camera] = {
        frames: t?.frames ?? 0,
        rejects: t?.rejects ?? 0,
        deadline: t?.deadline ?? 0,
        error: t?.error ?? 0,
        fps: round((list.length * 1000) / span, 2),
        rejectsPerMin: round((list.filter((s) => s.reject).length * 60_000) / span, 2),
        latencyP50Ms: quantile(latencies, 0.5),
        latencyP95Ms: quantile(latencies, 0.95),
        lastAt: t?.lastAt ?? null,
      };
    }
    return out;
  }

  private prune(camera: string, now: number): Sample[] {
    const list = this.samples.get(camera) ?? [];
    const first = list.findIndex((s) => s.at > now - this.windowMs);
    const kept = first === -1 ? [] : list.slice(first);
    this.samples.set(camera, kept);
    return kept;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

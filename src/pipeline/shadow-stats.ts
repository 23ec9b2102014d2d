/** How a candidate (shadow) model's verdicts compare with the live model's on the same frames. Pure. */
import type { ThresholdOrigin } from './threshold-sources.js';

/** Frames decided with a threshold of each origin (threshold-sources.ts). */
export type OriginCounts = Partial<Record<ThresholdOrigin, number>>;

export interface ShadowSummary {
  readonly live: string;
  readonly candidate: string;
  /** Frames both models scored. */
  readonly frames: number;
  /** Share of those frames where both decided the same (reject or pass); null before the first. */
  readonly agreement: number | null;
  /** Pearson correlation of the two models' raw scores; null with fewer than 2 frames or no spread. */
  readonly scoreCorrelation: number | null;
  /** Parts the candidate would reject that the live model passed. */
  readonly rejectsAdded: number;
  /** Parts the live model rejected that the candidate would pass. */
  readonly rejectsDropped: number;
  /** Scored live frames the candidate did not get to (the line was busy: the shadow runs only when it is idle). */
  readonly skipped: number;
  /** A few ids of each disagreement, newest last, to look at in the evidence archive. */
  readonly addedIds: readonly string[];
  readonly droppedIds: readonly string[];
  /** Where each side's thresholds came from, frames per origin: a reject added or dropped is the models' only at one operating point. */
  readonly thresholds: { readonly live: OriginCounts; readonly candidate: OriginCounts };
  /** Why the rejects added and dropped are not the models' difference alone (the two sides' thresholds came from different sources); null when they are. */
  readonly caveat: string | null;
}

const originWords: Record<ThresholdOrigin, string> = {
  live: 'set by an operator over MQTT',
  config: 'configured for the camera',
  file: 'from a thresholds file (uniad-edge calibrate)',
  model: "from the model's sidecar",
};

const described = (counts: OriginCounts) =>
  (Object.keys(counts) as ThresholdOrigin[])
    .sort()
    .map((o) => originWords[o])
    .join(' and ');

/** Says so when the two sides decided with thresholds of different origins. Pure. */
export function thresholdCaveat(live: OriginCounts, candidate: OriginCounts): string | null {
  const a = Object.keys(live).sort().join();
  const b = Object.keys(candidate).sort().join();
  if (a === '' || b === '' || (a === b && a !== 'live' && a !== 'config')) return null;
  return `the live model decided with thresholds ${described(live)}, the candidate with thresholds ${described(candidate)}: the rejects it would add or drop mix the two models with the two thresholds (to compare the models, calibrate the candidate on this line's images with uniad-edge calibrate and give it as shadow.thresholdsFile, at the targetFalseReject of model.thresholdsFile)`;
}

const keptIds = 20;

export class ShadowStats {
  private n = 0;
  private agree = 0;
  private added = 0;
  private dropped = 0;
  private skippedFrames = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private syy = 0;
  private sxy = 0;
  private readonly addedIds: string[] = [];
  private readonly droppedIds: string[] = [];
  private readonly origins = { live: {} as Record<string, number>, candidate: {} as Record<string, number> };

  constructor(
    private readonly live: string,
    private readonly candidate: string,
  ) {}

  /** One frame both models scored, and where each side's threshold came from. */
  add(id: string, liveScore: number, liveReject: boolean, shadowScore: number, shadowReject: boolean, origins: { live: ThresholdOrigin; candidate: ThresholdOrigin }): void {
    this.n++;
    this.origins.live[origins.live] = (this.origins.live[origins.live] ?? 0) + 1;
    this.origins.candidate[origins.candidate] = (this.origins.candidate[origins.candidate] ?? 0) + 1;
    if (liveReject === shadowReject) this.agree++;
    else if (shadowReject) {
      this.added++;
      keep(this.addedIds, id);
    } else {
      this.dropped++;
      keep(this.droppedIds, id);
    }
    this.sx += liveScore;
    this.sy += shadowScore;
    this.sxx += liveScore * liveScore;
    this.syy += shadowScore * shadowScore;
    this.sxy += liveScore * shadowScore;
  }

  skipped(count = 1): void {
    this.skippedFrames += count;
  }

  summary(): ShadowSummary {
    const { n } = this;
    const cov = this.sxy - (this.sx * this.sy) / n;
    const vx = this.sxx - (this.sx * this.sx) / n;
    const vy = this.syy - (this.sy * this.sy) / n;
    const r = n >= 2 && vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : null;
    return {
      live: this.live,
      candidate: this.candidate,
      frames: n,
      agreement: n === 0 ? null : this.agree / n,
      scoreCorrelation: r === null ? null : Math.max(-1, Math.min(1, r)),
      rejectsAdded: this.added,
      rejectsDropped: this.dropped,
      skipped: this.skippedFrames,
      addedIds: [...this.addedIds],
      droppedIds: [...this.droppedIds],
      thresholds: { live: { ...this.origins.live }, candidate: { ...this.origins.candidate } },
      caveat: thresholdCaveat(this.origins.live, this.origins.candidate),
    };
  }
}

function keep(ids: string[], id: string): void {
  ids.push(id);
  if (ids.length > keptIds) ids.shift();
}

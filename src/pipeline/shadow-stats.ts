/** How a candidate (shadow) model's verdicts compare with the live model's on the same frames. Pure. */

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

  constructor(
    private readonly live: string,
    private readonly candidate: string,
  ) {}

  /** One frame both models scored. */
  add(id: string, liveScore: number, liveReject: boolean, shadowScore: number, shadowReject: boolean): void {
    this.n++;
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
    };
  }
}

function keep(ids: string[], id: string): void {
  ids.push(id);
  if (ids.length > keptIds) ids.shift();
}

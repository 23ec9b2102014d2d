/**
 * Per-key minimum interval: `take(key)` is true at most once every `minIntervalMs` for each key (heatmaps: one
 * per camera per interval). Pure apart from the injected clock, monotonic by default: on the wall clock a step back
 * of an hour (NTP on a box without an RTC battery) sent no heatmap and no feed image for that hour.
 */
export class RateLimit {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string): boolean {
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < this.minIntervalMs) return false;
    this.last.set(key, t);
    return true;
  }
}

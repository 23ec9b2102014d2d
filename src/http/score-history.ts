/**
 * The last scores of each camera, kept by the service so a dashboard opened (or reloaded) now shows the recent past,
 * not an empty chart. Bounded: `perCamera` points a camera, oldest dropped first.
 */
import type { Verdict } from '../types.js';

/** One chart point: time (epoch ms), score (null when not scored), threshold, reject. */
export type ScorePoint = readonly [t: number, score: number | null, threshold: number, reject: boolean];

export class ScoreHistory {
  private readonly points = new Map<string, ScorePoint[]>();

  constructor(private readonly perCamera = 600) {}

  add(v: Verdict): void {
    const key = `${v.line}/${v.camera}`;
    const list = this.points.get(key) ?? [];
    list.push([v.decidedAt, v.score, v.threshold, v.reject]);
    if (list.length > this.perCamera) list.splice(0, list.length - this.perCamera);
    this.points.set(key, list);
  }

  /** `{"<line>/<camera>": [[t, score, threshold, reject], ...]}`, oldest first. */
  toJSON(): Record<string, readonly ScorePoint[]> {
    return Object.fromEntries(this.points);
  }
}

/**
 * The latest rejects, kept by the service so a page opened (or reloaded) now shows them, not "no reject yet": the
 * newest `keep` verdicts of the whole line for the table, and each camera's latest reject with its picture. The
 * picture is made when a page asks for it (the wiring passes how), once per reject. Bounded: `keep` verdicts and one
 * picture a camera. A restart of the service starts empty; the evidence archive keeps every reject.
 *
 * What a picture needs is copied off the pipeline at most once per `pictureGapMs` (250) a camera: in a reject storm
 * (a model that rejects everything, 100+ a second) a copy of every frame is memory churn for nothing, and a large
 * frame makes it costly. The table lists every reject; a camera's pane shows its latest reject that has a picture,
 * at most that much older than its newest.
 */
import type { Verdict } from '../types.js';

interface Latest {
  readonly verdict: Verdict;
  readonly picture: (() => Buffer) | undefined;
  /** Monotonic ms its picture was taken; undefined without one. */
  readonly takenAt: number | undefined;
  made?: Buffer;
}

export interface LastRejectsJson {
  /** Newest first. */
  readonly rejects: readonly Verdict[];
  /** `<line>/<camera>` → its latest reject and the path of its picture (relative to the page), or null when none. */
  readonly cameras: Readonly<Record<string, { readonly verdict: Verdict; readonly picture: string | null }>>;
}

const key = (line: string, camera: string) => `${line}/${camera}`;

/** The picture's path for a page: the verdict id in it, so a browser never shows a stale one from its cache. */
export const picturePath = (v: Verdict): string => `last-reject.png?line=${encodeURIComponent(v.line)}&camera=${encodeURIComponent(v.camera)}&id=${encodeURIComponent(v.id)}`;

export class LastRejects {
  private readonly newest: Verdict[] = [];
  private readonly latest = new Map<string, Latest>();

  constructor(
    private readonly keep = 20,
    private readonly pictureGapMs = 250,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /**
   * A reject, with what takes its picture: `take` copies what the picture needs off the pipeline now and returns what
   * makes the PNG later (the heatmap over the frame, or the frame of a fail-safe reject). Called only when the
   * camera's last picture is `pictureGapMs` old.
   */
  add(verdict: Verdict, take?: () => () => Buffer): void {
    if (!verdict.reject) return;
    this.newest.unshift(verdict);
    if (this.newest.length > this.keep) this.newest.length = this.keep;
    const k = key(verdict.line, verdict.camera);
    const now = this.monotonic();
    const last = this.latest.get(k);
    if (take !== undefined && (last?.takenAt === undefined || now - last.takenAt >= this.pictureGapMs)) this.latest.set(k, { verdict, picture: take(), takenAt: now });
    else if (last?.takenAt === undefined) this.latest.set(k, { verdict, picture: undefined, takenAt: undefined });
  }

  toJSON(): LastRejectsJson {
    const cameras = [...this.latest].map(([k, l]) => [k, { verdict: l.verdict, picture: l.picture ? picturePath(l.verdict) : null }] as const);
    return { rejects: [...this.newest], cameras: Object.fromEntries(cameras) };
  }

  /** The PNG of the camera's latest reject, made on the first ask; undefined when there is none. */
  picture(line: string, camera: string): Buffer | undefined {
    const l = this.latest.get(key(line, camera));
    if (l?.picture === undefined) return undefined;
    l.made ??= l.picture();
    return l.made;
  }
}

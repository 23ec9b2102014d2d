/**
 * The formers (former.ts) and the judge (part-judge.ts) at work on the service's frames: the cameras' frames go
 * through `frames()`, each camera's through its former, and come out in capture order, those of a part tagged with
 * it; part signals, missed triggers and frame verdicts come in by the methods; one timer wakes the formers and the
 * judge when their next timeout is due. Decisions go to `onPart` as they are made, in that order.
 *
 * The side effects (the subscriber, the timer, the clock) are this file's; the decisions are the formers' and the
 * judge's.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { Frame, PartTrigger, PartVerdict, Verdict } from '../types.js';
import type { FormerStep, PartEvent, PartFormer, Signal } from './former.js';
import type { PartJudge } from './part-judge.js';

export interface PartFramerOptions {
  /** One former a camera that forms parts; other cameras' frames pass untouched. */
  readonly formers: ReadonlyMap<string, PartFormer>;
  readonly judge: PartJudge;
  /** Every part decision, as it is made. */
  readonly onPart: (part: PartVerdict) => void;
  /** Every former event, before the judge takes it (figures, logs). */
  readonly onEvent?: (event: PartEvent) => void;
  /** A software trigger to fire on `camera` now. */
  readonly fire?: (camera: string, trigger: PartTrigger) => void;
  readonly now?: () => number;
}

export class PartFramer {
  private readonly now: () => number;
  private out: Subscriber<Frame> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: PartFramerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The frames, each camera's through its former. One subscription at a time (the inspection's). */
  frames(frames$: Observable<Frame>): Observable<Frame> {
    return new Observable<Frame>((subscriber) => {
      this.out = subscriber;
      const sub = frames$.subscribe({
        next: (frame) => {
          const former = this.opts.formers.get(frame.camera);
          if (former === undefined || this.stopped) subscriber.next(frame);
          else this.apply(frame.camera, former.frame(frame, this.now()));
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          this.endAll();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        if (this.out === subscriber) this.out = undefined;
      };
    });
  }

  /** A part signal of `camera`. */
  signal(camera: string, signal: Signal): void {
    const former = this.opts.formers.get(camera);
    if (former !== undefined && !this.stopped) this.apply(camera, former.signal(signal, this.now()));
  }

  /** The camera will not deliver the frame of `partId`'s trigger. */
  missed(camera: string, partId: string, why: string): void {
    const former = this.opts.formers.get(camera);
    if (former !== undefined && !this.stopped) this.apply(camera, former.missed(partId, why, this.now()));
  }

  /** A frame verdict (every one; those of no part are ignored). */
  verdict(v: Verdict): void {
    if (v.partId === undefined) return;
    this.decided(this.opts.judge.verdict(v, this.now()));
    this.schedule();
  }

  /** Takes no more signals or frames and decides every part still open, what it lacks by the fail-safe. */
  stop(): void {
    if (this.stopped) return;
    this.endAll();
    this.stopped = true;
    clearTimeout(this.timer);
    this.decided(this.opts.judge.flush(this.now()));
  }

  private endAll(): void {
    for (const [camera, former] of this.opts.formers) this.apply(camera, former.end(this.now()));
  }

  private apply(camera: string, step: FormerStep): void {
    const now = this.now();
    for (const event of step.events) {
      this.opts.onEvent?.(event);
      this.decided(this.opts.judge.event(event, now));
    }
    for (const trigger of step.fire) this.opts.fire?.(camera, trigger);
    // frames of a subscription that ended have nobody to score them: their parts close missing at end()
    for (const frame of step.frames) this.out?.next(frame);
    this.schedule();
  }

  private decided(parts: readonly PartVerdict[]): void {
    for (const part of parts) this.opts.onPart(part);
  }

  private tick(): void {
    const now = this.now();
    for (const [camera, former] of this.opts.formers) this.apply(camera, former.tick(now));
    this.decided(this.opts.judge.tick(now));
    this.schedule();
  }

  /** One timer, at the earliest time a former or the judge has something to do. */
  private schedule(): void {
    if (this.stopped) return;
    const times = [...this.opts.formers.values()].map((f) => f.nextWakeAt()).concat(this.opts.judge.nextWakeAt()).filter((t): t is number => t !== undefined);
    clearTimeout(this.timer);
    if (times.length === 0) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(...times) - this.now()));
  }
}

/**
 * Parts of a free-running camera without a part signal, found in its frames (the demo line's stations, an RTSP
 * camera over a belt). A looker (station-look.ts, presence-look.ts) says of each frame whether a part begins there,
 * is still there, or is not; this former groups the runs into parts:
 *
 * - a run of `settleFrames` frames is a part (shorter runs are motion, or a flicker: their frames are scored alone).
 *   Until a run is that long its frames are held back from scoring, at most `settleFrames − 1` frames;
 * - a part takes its first `frames` frames and is then closed, so its decision does not wait for it to leave; its
 *   later frames are scored alone. A part that leaves sooner closes with the frames it had;
 * - a camera that sends no frame for `frameTimeoutMs` ends the run: the part closes with what it had.
 *
 * The part's id is the detector's own, `<runId>:<n>` (n counts the camera's parts from 1), and its time that of its
 * first frame.
 */
import type { Frame } from '../types.js';
import { StepBuilder, tagged, type FormerStep, type PartFormer } from './former.js';
import type { Looker } from './look.js';

export interface DetectorSettings {
  readonly settleFrames: number;
  readonly frames: number;
  readonly frameTimeoutMs: number;
}

interface Run {
  /** Frames of the run not yet claimed by a part (before it settled). */
  held: Frame[];
  length: number;
  part?: { readonly partId: string; readonly at: number; taken: number; open: boolean };
}

export class DetectorFormer implements PartFormer {
  private run: Run | undefined;
  private lastFrameAt = 0;
  private parts = 0;

  constructor(
    private readonly camera: string,
    private readonly runId: string,
    private readonly looker: Looker,
    private readonly settings: DetectorSettings,
  ) {}

  frame(frame: Frame, now: number): FormerStep {
    const out = new StepBuilder();
    if (this.lastFrameAt + this.settings.frameTimeoutMs <= now) this.gap(out);
    this.lastFrameAt = now;
    const look = this.looker.look(frame);
    if (look !== 'same' || this.run === undefined) {
      this.endRun(out);
      if (look === 'none') {
        out.frames.push(frame);
        return out.step();
      }
      this.run = { held: [], length: 0 };
    }
    this.extend(this.run, frame, out);
    return out.step();
  }

  signal(): FormerStep {
    return new StepBuilder().step();
  }

  missed(): FormerStep {
    return new StepBuilder().step();
  }

  tick(now: number): FormerStep {
    const out = new StepBuilder();
    if (this.run !== undefined && this.lastFrameAt + this.settings.frameTimeoutMs <= now) this.gap(out);
    return out.step();
  }

  end(_now: number): FormerStep {
    const out = new StepBuilder();
    this.gap(out);
    return out.step();
  }

  nextWakeAt(): number | undefined {
    return this.run === undefined ? undefined : this.lastFrameAt + this.settings.frameTimeoutMs;
  }

  private extend(run: Run, frame: Frame, out: StepBuilder): void {
    run.length++;
    if (run.part === undefined) {
      run.held.push(frame);
      if (run.length < this.settings.settleFrames) return;
      const first = run.held[0]!;
      run.part = { partId: `${this.runId}:${++this.parts}`, at: first.capturedAt, taken: 0, open: true };
      out.events.push({ type: 'open', camera: this.camera, partId: run.part.partId, at: run.part.at, source: 'detector' });
      const held = run.held;
      run.held = [];
      for (const f of held) this.take(run, f, out);
      return;
    }
    this.take(run, frame, out);
  }

  /** The frame to the run's part while it takes frames, else scored alone. */
  private take(run: Run, frame: Frame, out: StepBuilder): void {
    const part = run.part!;
    if (!part.open) {
      out.frames.push(frame);
      return;
    }
    part.taken++;
    out.frames.push(tagged(frame, part));
    out.events.push({ type: 'frame', camera: this.camera, partId: part.partId, seq: frame.seq });
    if (part.taken === this.settings.frames) this.closePart(part, out);
  }

  private closePart(part: NonNullable<Run['part']>, out: StepBuilder): void {
    part.open = false;
    out.events.push({ type: 'close', camera: this.camera, partId: part.partId, missing: false });
  }

  /** Frames stopped coming: the run ends, and the next frame is seen afresh. */
  private gap(out: StepBuilder): void {
    this.endRun(out);
    this.looker.reset();
  }

  /** The run is over: its part closes with what it had, frames held for a run too short to be a part go alone. */
  private endRun(out: StepBuilder): void {
    const run = this.run;
    this.run = undefined;
    if (run === undefined) return;
    out.frames.push(...run.held);
    if (run.part?.open) this.closePart(run.part, out);
  }
}

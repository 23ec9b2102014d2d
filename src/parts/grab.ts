/**
 * Parts of a free-running camera with a part signal ("grab"): the next `frames` frames the camera delivers after the
 * signal arrived belong to the part. A part that does not get them within `frameTimeoutMs` closes missing (its
 * camera stalled). A part still taking frames when the next part's signal arrives stops there, with the frames it
 * got: a frame after the next signal shows the next part, whichever part it also shows. The camera's frame rate must
 * give each part its frames between two signals (`frames` ÷ fps under the parts' spacing); a part cut short is
 * decided on the frames it got, and the cut is said (`short` on its close) for the figures and the log.
 */
import type { Frame } from '../types.js';
import { signalOpens, StepBuilder, tagged, type FormerStep, type PartFormer, type Signal } from './former.js';
import { RecentIds } from './recent-ids.js';

interface Grabbing {
  readonly signal: Signal;
  readonly until: number;
  got: number;
}

export class GrabFormer implements PartFormer {
  private current: Grabbing | undefined;
  private readonly recent = new RecentIds();

  constructor(
    private readonly camera: string,
    private readonly framesPerPart: number,
    private readonly frameTimeoutMs: number,
  ) {}

  signal(signal: Signal, now: number): FormerStep {
    const out = new StepBuilder();
    if (!signalOpens(out, this.recent, this.camera, signal)) return out.step();
    if (this.current !== undefined) {
      const { got } = this.current;
      if (got === 0) this.close(out, true, 'the next part\'s signal came before its first frame');
      else this.close(out, false, `the next part's signal came after ${got} of its ${this.framesPerPart} frames`, true);
    }
    this.current = { signal, until: now + this.frameTimeoutMs, got: 0 };
    return out.step();
  }

  frame(frame: Frame, _now: number): FormerStep {
    const out = new StepBuilder();
    const part = this.current;
    if (part === undefined) {
      out.frames.push(frame);
      return out.step();
    }
    part.got++;
    out.frames.push(tagged(frame, part.signal));
    out.events.push({ type: 'frame', camera: this.camera, partId: part.signal.partId, seq: frame.seq });
    if (part.got === this.framesPerPart) this.close(out, false);
    return out.step();
  }

  missed(): FormerStep {
    return new StepBuilder().step();
  }

  tick(now: number): FormerStep {
    const out = new StepBuilder();
    if (this.current !== undefined && this.current.until <= now) this.close(out, true, `${this.current.got} of ${this.framesPerPart} frames within ${this.frameTimeoutMs} ms of the part signal`);
    return out.step();
  }

  end(_now: number): FormerStep {
    const out = new StepBuilder();
    if (this.current !== undefined) this.close(out, true, 'the camera stopped before the part had its frames');
    return out.step();
  }

  nextWakeAt(): number | undefined {
    return this.current?.until;
  }

  private close(out: StepBuilder, missing: boolean, why?: string, short = false): void {
    const { partId } = this.current!.signal;
    this.current = undefined;
    out.events.push({ type: 'close', camera: this.camera, partId, missing, ...(why === undefined ? {} : { why }), ...(short ? { short } : {}) });
  }
}

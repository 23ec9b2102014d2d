/**
 * Parts of a software-triggered GenICam camera: each part signal fires one trigger, and the camera's capture answers
 * it with exactly one frame carrying the signal (`Frame.trigger`) or a `trigger-missed` event (docs/genicam.md). So
 * a part's frame is known for certain; this former opens the part, tags its frame and closes it, or closes it
 * missing. `frameTimeoutMs` is a last resort above the capture's own trigger timeout: a part is never left open.
 */
import { nothing, signalOpens, StepBuilder, tagged, type FormerStep, type PartFormer, type Signal } from './former.js';
import { RecentIds } from './recent-ids.js';
import type { Frame } from '../types.js';

export class SoftwareTriggerFormer implements PartFormer {
  /** Parts whose trigger is owed a frame: part id → the time it is given up. */
  private readonly owed = new Map<string, number>();
  private readonly recent = new RecentIds();

  constructor(
    private readonly camera: string,
    private readonly frameTimeoutMs: number,
  ) {}

  signal(signal: Signal, now: number): FormerStep {
    const out = new StepBuilder();
    if (!signalOpens(out, this.recent, this.camera, signal)) return out.step();
    this.owed.set(signal.partId, now + this.frameTimeoutMs);
    out.fire.push(signal);
    return out.step();
  }

  frame(frame: Frame, _now: number): FormerStep {
    const out = new StepBuilder();
    const trigger = frame.trigger;
    if (trigger === undefined || !this.owed.delete(trigger.partId)) {
      // a frame of a trigger given up (its part already decided): scored, but it is no part's any more
      out.frames.push(frame);
      return out.step();
    }
    out.frames.push(tagged(frame, trigger));
    out.events.push({ type: 'frame', camera: this.camera, partId: trigger.partId, seq: frame.seq }, { type: 'close', camera: this.camera, partId: trigger.partId, missing: false });
    return out.step();
  }

  missed(partId: string, why: string, _now: number): FormerStep {
    if (!this.owed.delete(partId)) return nothing;
    return { ...nothing, events: [{ type: 'close', camera: this.camera, partId, missing: true, why }] };
  }

  tick(now: number): FormerStep {
    const out = new StepBuilder();
    for (const [partId, until] of this.owed) {
      if (until > now) continue;
      this.owed.delete(partId);
      out.events.push({ type: 'close', camera: this.camera, partId, missing: true, why: `no frame within ${this.frameTimeoutMs} ms of the trigger` });
    }
    return out.step();
  }

  end(_now: number): FormerStep {
    const out = new StepBuilder();
    for (const partId of this.owed.keys()) out.events.push({ type: 'close', camera: this.camera, partId, missing: true, why: 'the camera stopped before the frame came' });
    this.owed.clear();
    return out.step();
  }

  nextWakeAt(): number | undefined {
    return this.owed.size === 0 ? undefined : Math.min(...this.owed.values());
  }
}

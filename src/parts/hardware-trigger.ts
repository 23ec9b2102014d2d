/**
 * Parts of a hardware-triggered camera: the PLC pulses the camera's trigger input and, for the same part, sends the
 * service its part signal. The frame arrives untagged, and either may come first: the frame after exposure and
 * transfer, the signal after the PLC's cycle, the Modbus poll or the broker. Frames are matched to signals in order,
 * under two timing rules (times on the service's clock: a frame's arrival, the signal's `at`):
 *
 * - a signal waits for its frame at most `frameTimeoutMs`; a frame arriving later than `at + frameTimeoutMs` is not
 *   its frame, and the part closes missing (`no-frame`). The next part's frame cannot be taken for it either, as
 *   frames are only matched to signals they do not precede by more than `signalLagMs`;
 * - a frame waits for its signal at most `signalLagMs` (held back from scoring meanwhile); a frame no signal
 *   claimed by then is scored alone, counted and logged (a pulse without a signal: a PLC or wiring fault).
 *
 * So a part's frame is looked for in the window from `signalLagMs` before its signal to `frameTimeoutMs` after it.
 * Windows of neighbouring parts must not overlap: `signalLagMs + frameTimeoutMs` under the shortest time between
 * two parts (e.g. 50 + 200 ms for parts 300 ms apart). Then a lost frame or a lost signal costs one part, never
 * shifts every later part onto its neighbour's frame.
 */
import type { Frame } from '../types.js';
import { signalOpens, StepBuilder, tagged, type FormerStep, type PartFormer, type Signal } from './former.js';
import { RecentIds } from './recent-ids.js';

export interface HardwareTriggerTiming {
  readonly frameTimeoutMs: number;
  readonly signalLagMs: number;
}

export class HardwareTriggerFormer implements PartFormer {
  /** Signals waiting for their frame, oldest first. */
  private signals: Signal[] = [];
  /** Frames waiting for their signal, oldest first. */
  private frames: Frame[] = [];
  private readonly recent = new RecentIds();

  constructor(
    private readonly camera: string,
    private readonly timing: HardwareTriggerTiming,
  ) {}

  signal(signal: Signal, now: number): FormerStep {
    const out = new StepBuilder();
    if (!signalOpens(out, this.recent, this.camera, signal)) return out.step();
    this.signals.push(signal);
    this.match(out, now);
    return out.step();
  }

  frame(frame: Frame, now: number): FormerStep {
    const out = new StepBuilder();
    this.frames.push(frame);
    this.match(out, now);
    return out.step();
  }

  /** A hardware-triggered camera is not told of parts, so it cannot say one got no frame: the timeout does. */
  missed(): FormerStep {
    return new StepBuilder().step();
  }

  tick(now: number): FormerStep {
    const out = new StepBuilder();
    this.match(out, now);
    return out.step();
  }

  end(now: number): FormerStep {
    const out = new StepBuilder();
    this.match(out, now);
    for (const frame of this.frames) this.unclaimed(out, frame);
    for (const signal of this.signals) out.events.push({ type: 'close', camera: this.camera, partId: signal.partId, missing: true, why: 'the camera stopped before its frame came' });
    this.frames = [];
    this.signals = [];
    return out.step();
  }

  nextWakeAt(): number | undefined {
    const { frameTimeoutMs, signalLagMs } = this.timing;
    const times = [...this.signals.slice(0, 1).map((s) => s.at + frameTimeoutMs), ...this.frames.slice(0, 1).map((f) => f.capturedAt + signalLagMs)];
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Pairs the oldest frame with the oldest signal while the timing allows; gives up what waited too long. */
  private match(out: StepBuilder, now: number): void {
    const { frameTimeoutMs, signalLagMs } = this.timing;
    for (;;) {
      const frame = this.frames[0];
      const signal = this.signals[0];
      // a signal whose frame would have come by now, or before this frame, got none
      const givenUp = signal === undefined ? undefined : signal.at + frameTimeoutMs;
      if (givenUp !== undefined && (frame === undefined ? givenUp <= now : givenUp < frame.capturedAt)) {
        this.signals.shift();
        out.events.push({ type: 'close', camera: this.camera, partId: signal!.partId, missing: true, why: `no frame within ${frameTimeoutMs} ms of the part signal` });
        continue;
      }
      if (frame === undefined) return;
      if (signal !== undefined && frame.capturedAt >= signal.at - signalLagMs) {
        this.frames.shift();
        this.signals.shift();
        out.frames.push(tagged(frame, signal));
        out.events.push({ type: 'frame', camera: this.camera, partId: signal.partId, seq: frame.seq }, { type: 'close', camera: this.camera, partId: signal.partId, missing: false });
        continue;
      }
      // this frame precedes every waiting signal by more than the lag: no signal will claim it
      if (signal !== undefined || frame.capturedAt + signalLagMs <= now) {
        this.frames.shift();
        this.unclaimed(out, frame);
        continue;
      }
      return;
    }
  }

  private unclaimed(out: StepBuilder, frame: Frame): void {
    out.frames.push(frame);
    out.events.push({ type: 'unclaimed', camera: this.camera, seq: frame.seq });
  }
}

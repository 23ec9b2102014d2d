/**
 * Folder parts/: from frames to parts. Each camera that forms parts has a part former, which says which of its
 * frames belong to which part before they are scored (so each frame's verdict names its part); the part judge
 * (part-judge.ts) turns the verdicts of a part's frames into the part's decision by the camera's rule (rule.ts).
 * Formers, per camera kind:
 *
 *   software-trigger.ts  a software-triggered GenICam camera: one trigger per part signal, its frame comes back tagged
 *   hardware-trigger.ts  a hardware-triggered camera: untagged frames matched to pending part signals in order
 *   grab.ts              a free-running camera with a part signal: the next `frames` frames after the signal
 *   detector.ts          a free-running camera without one: parts found in the frames (station-look.ts, presence-look.ts)
 *
 * Everything here is pure state machines with the time passed in (`now`), tested as such; part-framer.ts runs them
 * on the service's frames, and signals.ts starts the PLC part signals (plc/). It imports plc/ and the shared modules
 * at src/ only: the wiring (service/parts.ts) passes it its settings.
 */
import type { Frame, PartSource, PartTrigger } from '../types.js';
import type { RecentIds } from './recent-ids.js';

/** What happened to a camera's parts: the judge (part-judge.ts) keeps count of each part's frames from these. */
export type PartEvent =
  /** A part begins: a part signal arrived, or the detector saw a part settle. */
  | { readonly type: 'open'; readonly camera: string; readonly partId: string; readonly at: number; readonly source: PartSource }
  /** The frame `seq` of the camera belongs to the part; its verdict will name the part. */
  | { readonly type: 'frame'; readonly camera: string; readonly partId: string; readonly seq: number }
  /**
   * The part takes no more frames. `missing`: it was owed frames it did not get (`why` says how: its frame timeout,
   * or the camera's reason for a trigger that got no frame). `short`: a grabbed part cut short by the next part's
   * signal, decided on the frames it got (grab.ts).
   */
  | { readonly type: 'close'; readonly camera: string; readonly partId: string; readonly missing: boolean; readonly why?: string; readonly short?: true }
  /** A part signal for a part already known (an MQTT QoS 1 redelivery): ignored. */
  | { readonly type: 'duplicate'; readonly camera: string; readonly partId: string }
  /** A frame that no part claimed where parts are signalled (a hardware trigger without a signal): scored alone. */
  | { readonly type: 'unclaimed'; readonly camera: string; readonly seq: number };

/** What a former gives back for one input. */
export interface FormerStep {
  /** Frames to hand on for scoring, in capture order; those of a part carry it (`Frame.part`). */
  readonly frames: readonly Frame[];
  readonly events: readonly PartEvent[];
  /** Software triggers to fire on the camera now (software-trigger.ts). */
  readonly fire: readonly PartTrigger[];
}

/** A part signal as a former takes it: the PLC's part id and when the part was at the camera (epoch ms). */
export type Signal = PartTrigger;

export interface PartFormer {
  /** A frame of the camera, in capture order. */
  frame(frame: Frame, now: number): FormerStep;
  /** A part signal of the camera (ignored by formers that find parts themselves). */
  signal(signal: Signal, now: number): FormerStep;
  /** The camera will not deliver the frame of a trigger it was given (a `trigger-missed` camera event). */
  missed(partId: string, why: string, now: number): FormerStep;
  /** Time passed: frame timeouts, frames held for a signal. */
  tick(now: number): FormerStep;
  /** No more frames will come (the service stops, the camera ended): held frames go, open parts close. */
  end(now: number): FormerStep;
  /** When `tick` has something to do next; undefined when nothing waits. */
  nextWakeAt(): number | undefined;
}

/** A frame with its part, for its verdict. */
export const tagged = (frame: Frame, part: PartTrigger): Frame => ({ ...frame, part: { partId: part.partId, at: part.at } });

/** A step that collects frames, events and triggers as a former's input is handled. */
export class StepBuilder {
  readonly frames: Frame[] = [];
  readonly events: PartEvent[] = [];
  readonly fire: PartTrigger[] = [];
  step(): FormerStep {
    return { frames: this.frames, events: this.events, fire: this.fire };
  }
}

export const nothing: FormerStep = { frames: [], events: [], fire: [] };

/**
 * A part signal of `camera` begins its part, unless its id is one the camera saw lately (a redelivery): says which in
 * `out`, and whether the part began.
 */
export function signalOpens(out: StepBuilder, recent: RecentIds, camera: string, signal: Signal): boolean {
  if (recent.seen(signal.partId)) {
    out.events.push({ type: 'duplicate', camera, partId: signal.partId });
    return false;
  }
  out.events.push({ type: 'open', camera, partId: signal.partId, at: signal.at, source: 'trigger' });
  return true;
}

import type { Frame } from '../types.js';

/** The frame a batch ends with when only its first `inputs` model inputs fit (a tiled frame, inspect.ts). */
export interface SplitFrame {
  readonly frame: Frame;
  readonly inputs: number;
}

/**
 * Picks the next batch from the frames waiting for the engine: cameras take turns (round robin, in the order of
 * their oldest waiting frame), each giving its oldest frame first. Taking frames in plain arrival order would let a
 * camera with a deep `drop-oldest` backlog fill every batch, while a `keep-latest` camera, whose one waiting frame is
 * always the newest, would never reach the head and get only `deadline` verdicts. Pure; `rest` keeps arrival order.
 *
 * A frame takes `inputsOf(frame)` of the batch's `n` model inputs (its tiles; 1 by default). Whole frames are taken
 * while they fit; the first in turn that does not fit fills the batch with its first inputs and is returned as
 * `split`: the caller runs its other inputs first in the next batch, so it is decided whole.
 */
export function takeFair(waiting: readonly Frame[], n: number, inputsOf: (frame: Frame) => number = () => 1): { batch: Frame[]; rest: Frame[]; split?: SplitFrame } {
  const perCamera = new Map<string, Frame[]>();
  for (const frame of waiting) {
    const frames = perCamera.get(frame.camera);
    if (frames === undefined) perCamera.set(frame.camera, [frame]);
    else frames.push(frame);
  }
  const batch: Frame[] = [];
  let room = n;
  let split: SplitFrame | undefined;
  const queues = [...perCamera.values()];
  for (let turn = 0; room > 0 && queues.some((q) => turn < q.length); turn++) {
    for (const q of queues) {
      if (turn >= q.length || room === 0) continue;
      const frame = q[turn]!;
      const inputs = inputsOf(frame);
      if (inputs <= room) {
        batch.push(frame);
        room -= inputs;
      } else {
        split = { frame, inputs: room };
        room = 0;
      }
    }
  }
  const taken = new Set(batch);
  if (split !== undefined) taken.add(split.frame);
  return { batch, rest: waiting.filter((f) => !taken.has(f)), ...(split === undefined ? {} : { split }) };
}

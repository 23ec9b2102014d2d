import type { Frame } from '../types.js';

/**
 * Picks the next batch from the frames waiting for the engine: cameras take turns (round robin, in the order of
 * their oldest waiting frame), each giving its oldest frame first. Taking frames in plain arrival order would let a
 * camera with a deep `drop-oldest` backlog fill every batch, while a `keep-latest` camera, whose one waiting frame is
 * always the newest, would never reach the head and get only `deadline` verdicts. Pure; `rest` keeps arrival order.
 */
export function takeFair(waiting: readonly Frame[], n: number): { batch: Frame[]; rest: Frame[] } {
  const perCamera = new Map<string, Frame[]>();
  for (const frame of waiting) {
    const frames = perCamera.get(frame.camera);
    if (frames === undefined) perCamera.set(frame.camera, [frame]);
    else frames.push(frame);
  }
  const batch: Frame[] = [];
  const queues = [...perCamera.values()];
  for (let turn = 0; batch.length < n && queues.some((q) => turn < q.length); turn++) {
    for (const q of queues) if (turn < q.length && batch.length < n) batch.push(q[turn]!);
  }
  const taken = new Set(batch);
  return { batch, rest: waiting.filter((f) => !taken.has(f)) };
}

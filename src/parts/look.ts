/**
 * What a part detector sees in each frame of a free-running camera (detector.ts groups the frames into parts by it):
 *
 *   new    a part begins here: the picture just changed (a station), or a part appeared (presence)
 *   same   the part of the frame before is still there, unchanged
 *   none   no part (presence only)
 */
import type { Frame } from '../types.js';

export type Look = 'new' | 'same' | 'none';

/** One detector's eye on one camera: it may remember the frame before. */
export interface Looker {
  look(frame: Frame): Look;
  /** Forget the frame before: frames stopped coming, the next one is seen afresh. */
  reset(): void;
}

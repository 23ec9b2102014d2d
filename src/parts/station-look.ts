/**
 * "Motion stopping at a station": an indexing line moves a part in, stops it under the camera, and moves it on. A
 * part is there while the picture (of the region) stands still; any change between two frames, more than
 * `motionThreshold` luma levels on average over the region's cells (luma.ts), is motion: a part arriving, leaving, or
 * the next one in its place. The frame after a change begins a still run anew; the detector (detector.ts) takes a run
 * of `settleFrames` still frames as a part. Pure but for the frame it remembers.
 *
 * Tuned on the demo line's station videos (models/demo/line/): a still part changes by at most 0.3 levels between
 * frames, the next part by 5.7 or more; the default threshold 3 sits between.
 */
import { cellChange, lumaCells, type Region } from './luma.js';
import type { Look, Looker } from './look.js';
import type { Frame } from '../types.js';

export interface StationSettings {
  readonly region: Region;
  readonly motionThreshold: number;
}

export class StationLooker implements Looker {
  private before: Float32Array | undefined;

  constructor(private readonly settings: StationSettings) {}

  look(frame: Frame): Look {
    const cells = lumaCells(frame, this.settings.region);
    const before = this.before;
    this.before = cells;
    return before === undefined || before.length !== cells.length || cellChange(before, cells) > this.settings.motionThreshold ? 'new' : 'same';
  }

  reset(): void {
    this.before = undefined;
  }
}

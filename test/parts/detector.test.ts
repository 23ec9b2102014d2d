import { describe, expect, it } from 'vitest';
import { DetectorFormer } from '../../src/parts/detector.js';
import type { FormerStep, PartEvent } from '../../src/parts/former.js';
import type { Look, Looker } from '../../src/parts/look.js';
import { frame } from './fixtures.js';

/** A looker that says what the frame's grey level says: 0 none, the same level as before same, another new. */
class GreyLooker implements Looker {
  private before: number | undefined;
  resets = 0;
  look(f: { pixels: Uint8Array }): Look {
    const grey = f.pixels[0]!;
    const before = this.before;
    this.before = grey;
    return grey === 0 ? 'none' : grey === before ? 'same' : 'new';
  }
  reset(): void {
    this.before = undefined;
    this.resets++;
  }
}

/** Feeds grey levels as frames 100 ms apart; returns each frame's part id (or '-') in the order scored, and the events. */
function feed(former: DetectorFormer, greys: number[], start = 0) {
  const scored: string[] = [];
  const events: PartEvent[] = [];
  const take = (s: FormerStep) => {
    scored.push(...s.frames.map((f) => `${f.seq}:${f.part?.partId ?? '-'}`));
    events.push(...s.events);
  };
  greys.forEach((g, i) => take(former.frame(frame(start + i, (start + i) * 100, { grey: g }), (start + i) * 100)));
  return { scored, events, take };
}

describe('DetectorFormer', () => {
  it('should make a part of each run of settled frames, holding frames until the run settles', () => {
    const former = new DetectorFormer('cam1', 'r1', new GreyLooker(), { settleFrames: 2, frames: 10, frameTimeoutMs: 1000 });
    const { scored, events } = feed(former, [5, 5, 5, 7, 7, 9, 0, 0]);
    expect(scored).toEqual(['0:r1:1', '1:r1:1', '2:r1:1', '3:r1:2', '4:r1:2', '5:-', '6:-', '7:-']);
    expect(events.filter((e) => e.type !== 'frame')).toEqual([
      { type: 'open', camera: 'cam1', partId: 'r1:1', at: 0, source: 'detector' },
      { type: 'close', camera: 'cam1', partId: 'r1:1', missing: false },
      { type: 'open', camera: 'cam1', partId: 'r1:2', at: 300, source: 'detector' },
      { type: 'close', camera: 'cam1', partId: 'r1:2', missing: false },
    ]);
  });

  it('should close a part at its frames-th frame and score its later frames alone', () => {
    const former = new DetectorFormer('cam1', 'r1', new GreyLooker(), { settleFrames: 1, frames: 2, frameTimeoutMs: 1000 });
    const { scored, events } = feed(former, [5, 5, 5, 6]);
    expect(scored).toEqual(['0:r1:1', '1:r1:1', '2:-', '3:r1:2']);
    expect(events.filter((e) => e.type === 'close').map((e) => e.partId)).toEqual(['r1:1']);
  });

  it('should end a run when frames stop coming, and see the next frame afresh', () => {
    const looker = new GreyLooker();
    const former = new DetectorFormer('cam1', 'r1', looker, { settleFrames: 2, frames: 10, frameTimeoutMs: 1000 });
    const { events, take } = feed(former, [5, 5, 5]);
    expect(former.nextWakeAt()).toBe(1200);
    take(former.tick(1200));
    expect(events.at(-1)).toEqual({ type: 'close', camera: 'cam1', partId: 'r1:1', missing: false });
    expect(looker.resets).toBe(1);
    // one frame held, then the camera stops: it is scored alone at the end
    expect(former.frame(frame(9, 5000, { grey: 5 }), 5000).frames).toEqual([]);
    expect(former.end(5100).frames.map((f) => [f.seq, f.part])).toEqual([[9, undefined]]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PartEvent } from '../../src/parts/former.js';
import { GrabFormer } from '../../src/parts/grab.js';
import { frame } from './fixtures.js';

const closes = (events: readonly PartEvent[]) => events.flatMap((e) => (e.type === 'close' ? [e] : []));

describe('GrabFormer', () => {
  it('should give a part the next frames after its signal, and score the frames between parts alone', () => {
    const former = new GrabFormer('cam1', 2, 1000);
    expect(former.frame(frame(0, 0), 0).frames[0]!.part).toBeUndefined();
    former.signal({ partId: 'p1', at: 5 }, 10);
    const a = former.frame(frame(1, 20), 20);
    const b = former.frame(frame(2, 40), 40);
    expect([...a.frames, ...b.frames].map((f) => f.part?.partId)).toEqual(['p1', 'p1']);
    expect(closes(b.events)).toEqual([{ type: 'close', camera: 'cam1', partId: 'p1', missing: false }]);
    expect(former.frame(frame(3, 60), 60).frames[0]!.part).toBeUndefined();
  });

  it('should close a part that does not get its frames in time as missing', () => {
    const former = new GrabFormer('cam1', 3, 1000);
    former.signal({ partId: 'p1', at: 0 }, 0);
    former.frame(frame(0, 30), 30);
    expect(former.nextWakeAt()).toBe(1000);
    expect(closes(former.tick(1000).events)).toEqual([{ type: 'close', camera: 'cam1', partId: 'p1', missing: true, why: '1 of 3 frames within 1000 ms of the part signal' }]);
  });

  it('should cut a part short at the next part\'s signal, deciding it on the frames it got, or missing with none', () => {
    const former = new GrabFormer('cam1', 3, 1000);
    former.signal({ partId: 'p1', at: 0 }, 0);
    former.frame(frame(0, 30), 30);
    expect(closes(former.signal({ partId: 'p2', at: 50 }, 50).events)).toEqual([
      { type: 'close', camera: 'cam1', partId: 'p1', missing: false, why: "the next part's signal came after 1 of its 3 frames", short: true },
    ]);
    expect(closes(former.signal({ partId: 'p3', at: 60 }, 60).events)).toEqual([{ type: 'close', camera: 'cam1', partId: 'p2', missing: true, why: "the next part's signal came before its first frame" }]);
    expect(former.frame(frame(1, 70), 70).frames[0]!.part?.partId).toBe('p3');
  });
});

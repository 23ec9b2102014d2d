import { describe, expect, it } from 'vitest';
import { SoftwareTriggerFormer } from '../../src/parts/software-trigger.js';
import { frame } from './fixtures.js';

describe('SoftwareTriggerFormer', () => {
  it('should open a part and fire its trigger on a signal, then tag the frame that answers it and close the part', () => {
    const former = new SoftwareTriggerFormer('cam1', 1500);
    const s = { partId: '17', at: 1000 };
    expect(former.signal(s, 1002)).toEqual({ frames: [], events: [{ type: 'open', camera: 'cam1', partId: '17', at: 1000, source: 'trigger' }], fire: [s] });
    const step = former.frame(frame(0, 1040, { trigger: s }), 1040);
    expect(step.frames.map((f) => f.part)).toEqual([{ partId: '17', at: 1000 }]);
    expect(step.events).toEqual([
      { type: 'frame', camera: 'cam1', partId: '17', seq: 0 },
      { type: 'close', camera: 'cam1', partId: '17', missing: false },
    ]);
    expect(former.nextWakeAt()).toBeUndefined();
  });

  it('should close a part missing when the camera says its frame will not come', () => {
    const former = new SoftwareTriggerFormer('cam1', 1500);
    former.signal({ partId: '5', at: 0 }, 0);
    expect(former.missed('5', 'timeout', 1000).events).toEqual([{ type: 'close', camera: 'cam1', partId: '5', missing: true, why: 'timeout' }]);
    expect(former.missed('5', 'timeout', 1001).events).toEqual([]);
  });

  it('should close a part missing at its frame timeout when the camera says nothing, and score a frame that comes after alone', () => {
    const former = new SoftwareTriggerFormer('cam1', 1500);
    const s = { partId: '5', at: 0 };
    former.signal(s, 10);
    expect(former.nextWakeAt()).toBe(1510);
    expect(former.tick(1509).events).toEqual([]);
    expect(former.tick(1510).events).toEqual([{ type: 'close', camera: 'cam1', partId: '5', missing: true, why: 'no frame within 1500 ms of the trigger' }]);
    const late = former.frame(frame(0, 1600, { trigger: s }), 1600);
    expect(late.frames[0]!.part).toBeUndefined();
    expect(late.events).toEqual([]);
  });

  it('should ignore a signal redelivered for a part it knows, firing no second trigger', () => {
    const former = new SoftwareTriggerFormer('cam1', 1500);
    former.signal({ partId: '9', at: 0 }, 0);
    expect(former.signal({ partId: '9', at: 0 }, 5)).toEqual({ frames: [], events: [{ type: 'duplicate', camera: 'cam1', partId: '9' }], fire: [] });
  });

  it('should close every part still owed a frame when the camera stops', () => {
    const former = new SoftwareTriggerFormer('cam1', 1500);
    former.signal({ partId: '1', at: 0 }, 0);
    former.signal({ partId: '2', at: 5 }, 5);
    expect(former.end(10).events.map((e) => e.type === 'close' && [e.partId, e.missing])).toEqual([
      ['1', true],
      ['2', true],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PartEvent } from '../../src/parts/former.js';
import { HardwareTriggerFormer } from '../../src/parts/hardware-trigger.js';
import { frame } from './fixtures.js';

const timing = { frameTimeoutMs: 500, signalLagMs: 100 };
const closes = (events: readonly PartEvent[]) => events.flatMap((e) => (e.type === 'close' ? [[e.partId, e.missing]] : []));

describe('HardwareTriggerFormer', () => {
  it('should give a frame to the signal that came before it', () => {
    const former = new HardwareTriggerFormer('cam1', timing);
    former.signal({ partId: 'a', at: 1000 }, 1000);
    const step = former.frame(frame(0, 1060), 1060);
    expect(step.frames.map((f) => f.part?.partId)).toEqual(['a']);
    expect(closes(step.events)).toEqual([['a', false]]);
  });

  it('should hold a frame that came before its signal, and give it to the signal when it comes within the lag', () => {
    const former = new HardwareTriggerFormer('cam1', timing);
    expect(former.frame(frame(0, 1000), 1000).frames).toEqual([]);
    expect(former.nextWakeAt()).toBe(1100);
    const step = former.signal({ partId: 'a', at: 1030 }, 1030);
    expect(step.frames.map((f) => [f.seq, f.part?.partId])).toEqual([[0, 'a']]);
  });

  it('should score a frame no signal claimed within the lag alone, and say so', () => {
    const former = new HardwareTriggerFormer('cam1', timing);
    former.frame(frame(0, 1000), 1000);
    expect(former.tick(1099).frames).toEqual([]);
    const step = former.tick(1100);
    expect(step.frames.map((f) => [f.seq, f.part])).toEqual([[0, undefined]]);
    expect(step.events).toEqual([{ type: 'unclaimed', camera: 'cam1', seq: 0 }]);
    // a signal after that finds no frame: its part times out
    former.signal({ partId: 'late', at: 1200 }, 1200);
    expect(closes(former.tick(1700).events)).toEqual([['late', true]]);
  });

  it('should match frames to signals in order, a lost frame costing its own part only', () => {
    // windows that do not overlap at this spacing (300 ms): 200 ms for a frame after its signal, 50 ms before it
    const former = new HardwareTriggerFormer('cam1', { frameTimeoutMs: 200, signalLagMs: 50 });
    const events: PartEvent[] = [];
    const tags: [number, string | undefined][] = [];
    const take = (step: ReturnType<HardwareTriggerFormer['tick']>) => {
      events.push(...step.events);
      tags.push(...step.frames.map((f) => [f.seq, f.part?.partId] as [number, string | undefined]));
    };
    // parts every 300 ms; the frame of part 2 is lost
    take(former.signal({ partId: '1', at: 0 }, 0));
    take(former.frame(frame(0, 40), 40));
    take(former.signal({ partId: '2', at: 300 }, 300));
    take(former.signal({ partId: '3', at: 600 }, 600));
    take(former.frame(frame(1, 640), 640));
    take(former.signal({ partId: '4', at: 900 }, 900));
    take(former.frame(frame(2, 940), 940));
    expect(tags).toEqual([
      [0, '1'],
      [1, '3'],
      [2, '4'],
    ]);
    expect(closes(events)).toEqual([
      ['1', false],
      ['2', true],
      ['3', false],
      ['4', false],
    ]);
  });

  it('should not give a frame to a signal that came more than the frame timeout before it', () => {
    const former = new HardwareTriggerFormer('cam1', timing);
    former.signal({ partId: 'old', at: 0 }, 0);
    const step = former.frame(frame(0, 700), 700);
    expect(closes(step.events)).toEqual([['old', true]]);
    expect(step.frames).toEqual([]);
    expect(former.tick(800).frames.map((f) => f.part)).toEqual([undefined]);
  });

  it('should score a held frame alone when a signal comes too long after it, and leave nothing owed at the end', () => {
    const former = new HardwareTriggerFormer('cam1', timing);
    former.frame(frame(0, 0), 0);
    expect(former.signal({ partId: 'x', at: 500 }, 500).frames.map((f) => [f.seq, f.part])).toEqual([[0, undefined]]);
    expect(former.frame(frame(1, 505), 505).frames.map((f) => f.part?.partId)).toEqual(['x']);
    former.signal({ partId: 'y', at: 506 }, 506);
    const step = former.end(510);
    expect(closes(step.events)).toEqual([['y', true]]);
    expect(former.nextWakeAt()).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { shedOverload, type OverloadPolicy } from '../../src/pipeline/overload.js';
import { makeFrame } from './frames.js';

const frame = (camera: string, seq: number) => makeFrame({ camera, seq, size: 1 });
const names = (frames: readonly { camera: string; seq: number }[]) => frames.map((f) => `${f.camera}${f.seq}`);
const policies = (p: Record<string, OverloadPolicy>) => (camera: string) => p[camera] ?? 'drop-oldest';

describe('shedOverload', () => {
  it('should keep the newest maxPerCamera frames of a drop-oldest camera, shedding its oldest', () => {
    const waiting = [0, 1, 2, 3, 4].map((seq) => frame('a', seq));
    const { kept, shed } = shedOverload(waiting, 3, policies({}));
    expect(names(kept)).toEqual(['a2', 'a3', 'a4']);
    expect(names(shed)).toEqual(['a0', 'a1']);
  });

  it('should keep only the newest frame of a keep-latest camera', () => {
    const waiting = [0, 1, 2].map((seq) => frame('b', seq));
    const { kept, shed } = shedOverload(waiting, 3, policies({ b: 'keep-latest' }));
    expect(names(kept)).toEqual(['b2']);
    expect(names(shed)).toEqual(['b0', 'b1']);
  });

  it('should bound each camera by its own policy, never shedding one camera for another, order kept', () => {
    const waiting = [frame('a', 0), frame('b', 0), frame('a', 1), frame('b', 1), frame('c', 0), frame('a', 2), frame('b', 2)];
    const { kept, shed } = shedOverload(waiting, 2, policies({ b: 'keep-latest' }));
    expect(names(kept)).toEqual(['a1', 'c0', 'a2', 'b2']);
    expect(names(shed)).toEqual(['a0', 'b0', 'b1']);
  });

  it('should shed nothing of a camera that waits, however many of its frames wait', () => {
    const waiting = Array.from({ length: 50 }, (_, seq) => frame('f', seq)).concat([frame('a', 0), frame('a', 1)]);
    const { kept, shed } = shedOverload(waiting, 1, policies({ f: 'wait' }));
    expect(kept).toHaveLength(51);
    expect(names(shed)).toEqual(['a0']);
  });

  it('should shed nothing within the bounds, and nothing from an empty queue', () => {
    const waiting = [frame('a', 0), frame('b', 0)];
    expect(shedOverload(waiting, 1, policies({ a: 'keep-latest' }))).toEqual({ kept: waiting, shed: [] });
    expect(shedOverload([], 1, policies({}))).toEqual({ kept: [], shed: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { takeFair } from '../../src/pipeline/fair-batch.js';
import { makeFrame } from './frames.js';

const frame = (camera: string, seq: number) => makeFrame({ camera, seq, size: 1 });
const names = (frames: readonly { camera: string; seq: number }[]) => frames.map((f) => `${f.camera}${f.seq}`);

describe('takeFair', () => {
  it('should let cameras take turns, each oldest first, a deep backlog not crowding out a camera with one frame', () => {
    const waiting = [0, 1, 2, 3, 4, 5].map((seq) => frame('a', seq)).concat([frame('b', 9)]);
    const { batch, rest } = takeFair(waiting, 4);
    expect(names(batch)).toEqual(['a0', 'b9', 'a1', 'a2']);
    expect(names(rest)).toEqual(['a3', 'a4', 'a5']);
  });

  it('should start each round with the camera whose oldest frame waited longest', () => {
    const waiting = [frame('b', 0), frame('a', 0), frame('b', 1), frame('c', 0), frame('a', 1)];
    expect(names(takeFair(waiting, 5).batch)).toEqual(['b0', 'a0', 'c0', 'b1', 'a1']);
  });

  it('should take everything when fewer frames wait than fit, and nothing from nothing', () => {
    const waiting = [frame('a', 0), frame('b', 0)];
    expect(takeFair(waiting, 8)).toEqual({ batch: waiting, rest: [] });
    expect(takeFair([], 8)).toEqual({ batch: [], rest: [] });
  });
});

describe('takeFair with frames of several inputs (tiles)', () => {
  const inputsOf = (f: { camera: string }) => (f.camera === 'tiled' ? 6 : 1);

  it('should take whole frames while they fit and split the first that does not, filling the batch', () => {
    const waiting = [frame('tiled', 0), frame('p', 0), frame('tiled', 1), frame('p', 1)];
    const { batch, rest, split } = takeFair(waiting, 8, inputsOf);
    expect(names(batch)).toEqual(['tiled0', 'p0']);
    expect(split && [`${split.frame.camera}${split.frame.seq}`, split.inputs]).toEqual(['tiled1', 1]);
    expect(names(rest)).toEqual(['p1']);
  });

  it('should split a frame larger than the whole batch at once', () => {
    const { batch, rest, split } = takeFair([frame('tiled', 0), frame('p', 0)], 4, inputsOf);
    expect([names(batch), split?.inputs, names(rest)]).toEqual([[], 4, ['p0']]);
  });
});

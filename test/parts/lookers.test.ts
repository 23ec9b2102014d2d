import { describe, expect, it } from 'vitest';
import { cellChange, lumaCells, meanLuma, regionPixels, wholeImage } from '../../src/parts/luma.js';
import { PresenceLooker } from '../../src/parts/presence-look.js';
import { StationLooker } from '../../src/parts/station-look.js';
import { frame } from './fixtures.js';

/** A 16×16 frame, black, with a white square at (x, y) of side `side` (none when side is 0). */
function square(x: number, y: number, side: number, seq = 0) {
  const size = 16;
  const pixels = new Uint8Array(size * size * 3);
  for (let row = y; row < y + side; row++) pixels.fill(255, (row * size + x) * 3, (row * size + x + side) * 3);
  return frame(seq, seq, { pixels, size });
}

describe('luma cells', () => {
  it('should average the luma of each cell of the region, weighting red, green and blue as BT.601', () => {
    const pixels = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < 16; i++) pixels.set([100, 200, 50], i * 3);
    const cells = lumaCells(frame(0, 0, { pixels }), wholeImage, 2);
    expect(cells.length).toBe(4);
    for (const c of cells) expect(c).toBeCloseTo(0.299 * 100 + 0.587 * 200 + 0.114 * 50, 4);
  });

  it('should see only the region, and never less than a pixel of it', () => {
    const f = square(8, 8, 8);
    expect(meanLuma(lumaCells(f, { x: 0.5, y: 0.5, width: 0.5, height: 0.5 }))).toBeCloseTo(255, 3);
    expect(meanLuma(lumaCells(f, { x: 0, y: 0, width: 0.5, height: 0.5 }))).toBe(0);
    expect(regionPixels({ x: 0.99, y: 0.99, width: 0, height: 0 }, 16, 16)).toEqual({ x0: 15, y0: 15, x1: 16, y1: 16 });
  });

  it('should measure change as the mean absolute difference of the cells', () => {
    expect(cellChange(Float32Array.of(0, 10), Float32Array.of(4, 0))).toBe(7);
  });
});

describe('StationLooker', () => {
  it('should see a new part at the first frame and at every change above the threshold, the same part while still', () => {
    const looker = new StationLooker({ region: wholeImage, motionThreshold: 3 });
    const looks = [square(0, 0, 8), square(0, 0, 8), square(1, 0, 8), square(1, 0, 8)].map((f) => looker.look(f));
    expect(looks).toEqual(['new', 'same', 'new', 'same']);
    looker.reset();
    expect(looker.look(square(1, 0, 8))).toBe('new');
  });

  it('should not call a change below the threshold motion', () => {
    const looker = new StationLooker({ region: wholeImage, motionThreshold: 3 });
    looker.look(frame(0, 0, { grey: 100, size: 16 }));
    expect(looker.look(frame(1, 1, { grey: 102, size: 16 }))).toBe('same');
    expect(looker.look(frame(2, 2, { grey: 106, size: 16 }))).toBe('new');
  });
});

describe('PresenceLooker', () => {
  it('should see a bright part in the region appear, stay and leave', () => {
    const looker = new PresenceLooker({ region: { x: 0.25, y: 0.25, width: 0.5, height: 0.5 }, brighter: 128 });
    const looks = [square(0, 0, 0), square(4, 4, 8), square(5, 4, 8), square(0, 0, 0), square(4, 4, 8)].map((f) => looker.look(f));
    expect(looks).toEqual(['none', 'new', 'same', 'none', 'new']);
  });

  it('should see a dark part on a bright belt with darker', () => {
    const looker = new PresenceLooker({ region: wholeImage, darker: 60 });
    expect([frame(0, 0, { grey: 200 }), frame(1, 1, { grey: 20 }), frame(2, 2, { grey: 20 })].map((f) => looker.look(f))).toEqual(['none', 'new', 'same']);
  });
});

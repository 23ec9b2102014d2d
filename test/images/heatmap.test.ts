import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { colourIndex, heatmapPixels, renderHeatmap } from '../../src/images/heatmap.js';
import { readPngText, withPngText } from '../../src/images/png-text.js';
import { turbo } from '../../src/images/turbo.js';

const px = (rgb: Uint8Array, i: number) => Array.from(rgb.subarray(i * 3, i * 3 + 3));

describe('turbo', () => {
  it('should give the known Turbo colours at its ends, quarters and middle', () => {
    expect(turbo(0)).toEqual([35, 23, 27]); // near black-blue
    expect(turbo(0.25)).toEqual([38, 189, 225]); // cyan
    expect(turbo(0.5)).toEqual([150, 250, 80]); // yellow-green
    expect(turbo(0.75)).toEqual([255, 128, 29]); // orange
    expect(turbo(1)).toEqual([144, 13, 0]); // dark red
  });

  it('should clamp values outside [0, 1] and treat NaN as 0', () => {
    expect(turbo(-3)).toEqual(turbo(0));
    expect(turbo(7)).toEqual(turbo(1));
    expect(turbo(Number.NaN)).toEqual(turbo(0));
  });
});

describe('heatmap', () => {
  it('should put 0 at the bottom, the threshold in the middle and 2× threshold at the top of the scale', () => {
    expect(colourIndex(0, 0.4)).toBe(0);
    expect(colourIndex(0.4, 0.4)).toBe(128);
    expect(colourIndex(0.8, 0.4)).toBe(255);
    expect(colourIndex(5, 0.4)).toBe(255);
    expect(colourIndex(-1, 0.4)).toBe(0);
  });

  it('should map known values to known colours with the same scale on every frame', () => {
    const map = Float32Array.from([0, 0.5, 1, 2]);
    const { rgb } = heatmapPixels({ map, mapWidth: 4, mapHeight: 1, threshold: 0.5 });
    expect(px(rgb, 0)).toEqual(turbo(0));
    expect(px(rgb, 1)).toEqual(turbo(128 / 255));
    expect(px(rgb, 2)).toEqual(turbo(1));
    expect(px(rgb, 3)).toEqual(turbo(1));
  });

  it('should blend the colours over the frame with the given alpha', () => {
    const frame = { width: 2, height: 1, pixels: Uint8Array.from([0, 0, 0, 200, 100, 50]) };
    const { rgb } = heatmapPixels({ map: Float32Array.from([0, 0]), mapWidth: 2, mapHeight: 1, threshold: 1, frame, alpha: 0.25 });
    const [r, g, b] = turbo(0);
    expect(px(rgb, 0)).toEqual([Math.round(0.25 * r), Math.round(0.25 * g), Math.round(0.25 * b)]);
    expect(px(rgb, 1)).toEqual([Math.round(0.25 * r + 150), Math.round(0.25 * g + 75), Math.round(0.25 * b + 37.5)]);
  });

  it('should resample a smaller map bilinearly to the frame size', () => {
    const frame = { width: 4, height: 4, pixels: new Uint8Array(4 * 4 * 3) };
    // left column of the 2×2 map is 0, right column 2×threshold: the output goes from cold on the left to hot on the right
    const out = heatmapPixels({ map: Float32Array.from([0, 2, 0, 2]), mapWidth: 2, mapHeight: 2, threshold: 1, frame, alpha: 1 });
    expect(out.width).toBe(4);
    expect(out.height).toBe(4);
    expect(px(out.rgb, 0)).toEqual(turbo(0));
    expect(px(out.rgb, 3)).toEqual(turbo(1));
    expect(px(out.rgb, 1)).toEqual(turbo(64 / 255)); // (1 + 0.5) * 0.5 - 0.5 = 0.25 of the way → v = 0.5 → index 64
  });

  it('should encode a PNG that decodes to the frame size and the same pixels', () => {
    const map = new Float32Array(16 * 8).map((_, i) => (i % 16) / 8);
    const frame = { width: 32, height: 16, pixels: new Uint8Array(32 * 16 * 3).fill(90) };
    const png = renderHeatmap({ map, mapWidth: 16, mapHeight: 8, threshold: 0.5, frame });
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([32, 16]);
    const { rgb } = heatmapPixels({ map, mapWidth: 16, mapHeight: 8, threshold: 0.5, frame });
    expect(Array.from(decoded.data.subarray(0, 4))).toEqual([...px(rgb, 0), 255]);
  });

  it('should refuse a map whose length does not match its size', () => {
    expect(() => heatmapPixels({ map: new Float32Array(3), mapWidth: 2, mapHeight: 2, threshold: 1 })).toThrow(/3 values, expected 2×2=4/);
  });
});

describe('pngText', () => {
  it('should carry a text chunk that PNG decoders accept and readPngText returns', () => {
    const png = withPngText(renderHeatmap({ map: new Float32Array(4), mapWidth: 2, mapHeight: 2, threshold: 1 }), 'uniad-id', 'cam-1:s:7');
    expect(readPngText(png)).toEqual({ 'uniad-id': 'cam-1:s:7' });
    expect(PNG.sync.read(png).width).toBe(2); // pngjs checks every chunk CRC
  });
});

import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { downscale, feedImage } from '../../src/images/feed.js';
import { readPngText } from '../../src/images/png-text.js';
import { verdictPayload } from '../../src/sinks/payload.js';
import type { Decision, Verdict } from '../../src/types.js';

const verdict: Verdict = {
  id: 'cam1:r:7', camera: 'cam1', line: 'l1', product: 'écrou', seq: 7, capturedAt: 1, decidedAt: 2, score: 0.9, threshold: 0.5, normalizedScore: 1.8, reject: true, reason: 'anomaly', model: 'm@1',
};

function frame(width: number, height: number, value: (x: number, y: number) => number) {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.fill(value(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, pixels };
}

describe('feed', () => {
  it('should downscale by averaging boxes and keep the aspect', () => {
    const small = downscale(frame(8, 4, (x) => (x % 2 === 0 ? 0 : 200)), 4);
    expect([small.width, small.height]).toEqual([4, 2]);
    expect([...small.pixels].every((p) => p === 100)).toBe(true);
    const tiny = frame(3, 3, () => 9);
    expect(downscale(tiny, 160)).toBe(tiny);
  });

  it('should give a PNG of the downscaled frame with the heatmap over it and the verdict inside', () => {
    const f = frame(224, 224, () => 128);
    const map = new Float32Array(16 * 16).fill(0);
    map[0] = 10; // one hot corner
    const decision: Decision = { verdict, frame: { ...f, camera: 'cam1', line: 'l1', product: 'écrou', seq: 7, capturedAt: 1 }, inference: { score: 0.9, anomalyMap: map, mapWidth: 16, mapHeight: 16 } };
    const png = feedImage({ ...decision, verdictJson: verdictPayload(verdict) }, 112);
    const img = PNG.sync.read(png);
    expect([img.width, img.height]).toEqual([112, 112]);
    const px = (x: number, y: number) => [...img.data.subarray((y * 112 + x) * 4, (y * 112 + x) * 4 + 3)];
    expect(px(0, 0)).not.toEqual(px(100, 100)); // hot corner coloured differently from the cold rest
    const text = readPngText(png);
    expect(text['uniad-id']).toBe('cam1:r:7');
    expect(JSON.parse(text['uniad-verdict']!)).toMatchObject({ id: 'cam1:r:7', product: 'écrou', reject: true });
  });

  it('should send an unscored frame as it is', () => {
    const f = frame(64, 32, () => 50);
    const unscored: Verdict = { ...verdict, score: null, reason: 'deadline' };
    const png = feedImage({ verdict: unscored, verdictJson: verdictPayload(unscored), frame: f }, 160);
    const img = PNG.sync.read(png);
    expect([img.width, img.height, img.data[0]]).toEqual([64, 32, 50]);
  });
});

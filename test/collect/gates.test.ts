/**
 * The collect gates on crafted frames written as real PNG files and read back as collect reads them: a sharp part
 * passes every gate; blurred, dark, overexposed, duplicated and empty-station frames are each stopped by their gate,
 * with a reason that names the measure and the limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPngRgb } from '../../src/calibrate/read-image.js';
import { fingerprint, fingerprintDistance } from '../../src/collect/gates/duplicate.js';
import { changedShare, emptyProblem } from '../../src/collect/gates/empty.js';
import { exposure, exposureProblem } from '../../src/collect/gates/exposure.js';
import { focusProblem, laplacianVariance } from '../../src/collect/gates/focus.js';
import { grayContent } from '../../src/collect/gates/gray.js';
import { defaultGateLimits, judgeFrame } from '../../src/collect/gates/judge.js';
import type { RgbImage } from '../../src/geometry/letterbox.js';
import { belt, blurred, exposed, letterboxed, noisy, part, writePng } from './crafted-frames.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-gates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows as columns: a 4:3 frame's letterbox turned into a tall frame's pillarbox. */
function transposed(img: RgbImage): RgbImage {
  const pixels = new Uint8Array(img.pixels.length);
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) pixels.set(img.pixels.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3), (x * img.height + y) * 3);
  return { width: img.height, height: img.width, pixels };
}

/** `img` through a PNG file, as collect meets images in a dataset or the archive. */
const viaPng = (name: string, img: RgbImage) => readPngRgb(writePng(dir, name, img));

const sharp = viaPng('part', part());
const gray = (img: RgbImage) => grayContent(img);

describe('the focus gate', () => {
  it('should pass a sharp part and stop the same part out of focus, naming the variance of the Laplacian and the limit', () => {
    const soft = viaPng('blurred', blurred(part(), 3));
    expect(laplacianVariance(gray(sharp))).toBeGreaterThan(10 * defaultGateLimits.minFocus);
    expect(focusProblem(gray(sharp), defaultGateLimits.minFocus)).toBeUndefined();
    expect(focusProblem(gray(soft), defaultGateLimits.minFocus)).toMatch(/^blurred: variance of the Laplacian \d+\.\d below 20 \(focus the lens/);
    expect(judgeFrame(soft, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'focus' });
  });

  it('should give a flat image no focus at all', () => {
    expect(laplacianVariance(gray({ width: 8, height: 8, pixels: new Uint8Array(8 * 8 * 3).fill(90) }))).toBe(0);
  });
});

describe('the exposure gate', () => {
  it('should stop a dark frame and an overexposed one, and pass the part as lit', () => {
    const dark = viaPng('dark', exposed(part(), 0.12));
    const bright = viaPng('overexposed', exposed(part(), 1.6, 90));
    expect(exposureProblem(gray(sharp), defaultGateLimits)).toBeUndefined();
    expect(exposureProblem(gray(dark), defaultGateLimits)).toMatch(/^too dark: mean 1\d \(at least 25\)/);
    expect(exposureProblem(gray(bright), defaultGateLimits)).toMatch(/^too bright: mean 2\d\d \(at most 240\), \d+ % white/);
    expect(judgeFrame(dark, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'exposure' });
    expect(judgeFrame(bright, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'exposure' });
  });

  it('should leave the letterbox bars out, and only them: a letterboxed part is not dark, a black frame is', () => {
    const boxed = viaPng('letterboxed', letterboxed(part()));
    expect(gray(boxed)).toMatchObject({ width: 224, height: 168 });
    expect(exposure(gray(boxed)).dark).toBe(0);
    expect(judgeFrame(boxed, [], defaultGateLimits)).toMatchObject({ keep: true });
    const pillarboxed = viaPng('pillarboxed', transposed(letterboxed(part())));
    expect(gray(pillarboxed)).toMatchObject({ width: 168, height: 224 });
    // a white ring off centre on a black ground is black at its edges by itself, not letterboxed: its black counts
    const ring = part(1, 90, 100);
    const onBlack = viaPng('on-black', { ...ring, pixels: ring.pixels.map((v) => (v > 140 ? v : 0)) });
    expect(gray(onBlack)).toMatchObject({ width: 224, height: 224 });
    expect(judgeFrame(onBlack, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'exposure', why: expect.stringContaining('too dark') });
    const black = viaPng('black', exposed(part(), 0));
    expect(gray(black)).toMatchObject({ width: 0, height: 0 });
    expect(judgeFrame(black, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'exposure', why: expect.stringContaining('100 % black') });
  });
});

describe('the empty gate', () => {
  it('should stop the empty belt without a reference (no contrast), and pass the part on it', () => {
    const empty = viaPng('empty', belt(2));
    expect(emptyProblem(gray(empty), defaultGateLimits)).toMatch(/^empty station: contrast \(grey-level standard deviation\) \d\.\d below 3/);
    expect(emptyProblem(gray(sharp), defaultGateLimits)).toBeUndefined();
    expect(judgeFrame(empty, [], defaultGateLimits)).toMatchObject({ keep: false, gate: 'empty' });
  });

  it('should stop a frame like the empty-station picture, and pass a small part on it', () => {
    const reference = gray(viaPng('station', belt(3)));
    const limits = { ...defaultGateLimits, reference, minContrast: 0 };
    const empty = viaPng('empty-again', belt(4));
    // a ring 60 pixels across changes 3 % of the frame's pixels, over the 2 % a part must change
    const small = viaPng('small-part', part(5, 60, 60, 30));
    expect(changedShare(gray(small), reference)).toBeGreaterThan(defaultGateLimits.minChanged);
    expect(changedShare(gray(empty), reference)).toBe(0);
    expect(emptyProblem(gray(empty), limits)).toMatch(/^empty station: 0\.0 % of the pixels differ from the empty-station picture \(a part changes at least 2\.0 %\)/);
    expect(emptyProblem(gray(small), limits)).toBeUndefined();
    expect(judgeFrame(empty, [], limits)).toMatchObject({ keep: false, gate: 'empty' });
  });
});

describe('the duplicate gate', () => {
  it('should stop the same picture with fresh sensor noise, and keep the part moved or another part', () => {
    const kept = [fingerprint(gray(sharp))];
    const again = viaPng('again', noisy(part(), 6, 7));
    const moved = viaPng('moved', part(1, 104, 112));
    const other = viaPng('other', part(2, 112, 112, 50));
    expect(fingerprintDistance(kept[0]!, fingerprint(gray(again)))).toBeLessThan(defaultGateLimits.maxDuplicateDistance / 2);
    expect(judgeFrame(again, kept, defaultGateLimits)).toMatchObject({ keep: false, gate: 'duplicate', why: expect.stringMatching(/^near-duplicate: 0\.\d\d grey levels from a kept frame \(at most 1;/) });
    // 8 pixels to the left: 4 % of the frame's width
    expect(judgeFrame(moved, kept, defaultGateLimits)).toMatchObject({ keep: true });
    expect(judgeFrame(other, kept, defaultGateLimits)).toMatchObject({ keep: true });
  });

  it('should not call a frame new for a change of the light alone', () => {
    const kept = [fingerprint(gray(sharp))];
    expect(judgeFrame(viaPng('brighter', exposed(part(), 1, 12)), kept, defaultGateLimits)).toMatchObject({ keep: false, gate: 'duplicate' });
  });

  it('should keep a repeat when the gate is off (-1), and an exact copy is still a duplicate at 0', () => {
    const kept = [fingerprint(gray(sharp))];
    expect(judgeFrame(sharp, kept, { ...defaultGateLimits, maxDuplicateDistance: -1 })).toMatchObject({ keep: true });
    expect(judgeFrame(sharp, kept, { ...defaultGateLimits, maxDuplicateDistance: 0 })).toMatchObject({ keep: false, gate: 'duplicate' });
  });
});

describe('judgeFrame', () => {
  it('should keep a sharp, well-lit, new part and give its fingerprint', () => {
    const judged = judgeFrame(sharp, [], defaultGateLimits);
    expect(judged).toMatchObject({ keep: true });
    expect(judged.keep && judged.print).toEqual(fingerprint(gray(sharp)));
  });

  it('should name the first gate a frame fails: a dark, blurred frame is dark', () => {
    expect(judgeFrame(viaPng('dark-blurred', exposed(blurred(part(), 3), 0.1)), [], defaultGateLimits)).toMatchObject({ gate: 'exposure' });
  });
});

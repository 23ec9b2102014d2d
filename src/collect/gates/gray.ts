/**
 * The grey levels the gates judge: the frame's luma (BT.601), over the part of the frame the camera filled. A frame
 * is letterboxed on exact black (geometry/letterbox.ts); those bars are the runtime's, not the scene's, and would
 * count as dark, clipped and high-contrast pixels, so they are left out. Pure.
 */
import type { RgbImage } from '../../geometry/letterbox.js';

/** Grey levels 0–255, row-major; empty (0 × 0) for a frame that is black all over. */
export interface Gray {
  readonly width: number;
  readonly height: number;
  readonly values: Float32Array;
}

function isBlack(img: RgbImage, x: number, y: number): boolean {
  const i = (y * img.width + x) * 3;
  return img.pixels[i] === 0 && img.pixels[i + 1] === 0 && img.pixels[i + 2] === 0;
}

const blackRow = (img: RgbImage, y: number, x0: number, x1: number) => {
  for (let x = x0; x < x1; x++) if (!isBlack(img, x, y)) return false;
  return true;
};
const blackColumn = (img: RgbImage, x: number, y0: number, y1: number) => {
  for (let y = y0; y < y1; y++) if (!isBlack(img, x, y)) return false;
  return true;
};

/**
 * Where the letterbox bars end: on one axis only, the same width on both sides give or take 2 (the odd pixel goes to
 * the bottom or right, and 4:2:0 video rounds the offset to even). A scene black at its edges by itself (a part off
 * centre on a black ground) keeps its black; one black to exactly 0 and alike on both sides, which a camera's noise
 * seldom gives, is taken for a letterbox.
 */
function barsOf(img: RgbImage): { top: number; bottom: number; left: number; right: number } {
  const all = { top: 0, bottom: img.height, left: 0, right: img.width };
  let top = 0;
  while (top < img.height && blackRow(img, top, 0, img.width)) top++;
  if (top === img.height) return { ...all, bottom: 0 };
  let bottom = img.height;
  while (blackRow(img, bottom - 1, 0, img.width)) bottom--;
  if (top > 0 && Math.abs(top - (img.height - bottom)) <= 2) return { ...all, top, bottom };
  let left = 0;
  while (blackColumn(img, left, 0, img.height)) left++;
  let right = img.width;
  while (blackColumn(img, right - 1, 0, img.height)) right--;
  if (left > 0 && Math.abs(left - (img.width - right)) <= 2) return { ...all, left, right };
  return all;
}

/** The frame's luma inside its letterbox bars; nothing for a frame black all over. */
export function grayContent(img: RgbImage): Gray {
  const { top, bottom, left, right } = barsOf(img);
  const width = Math.max(0, right - left);
  const height = Math.max(0, bottom - top);
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((top + y) * img.width + left + x) * 3;
      values[y * width + x] = 0.299 * img.pixels[i]! + 0.587 * img.pixels[i + 1]! + 0.114 * img.pixels[i + 2]!;
    }
  }
  return { width: height === 0 ? 0 : width, height: width === 0 ? 0 : height, values: width * height === 0 ? new Float32Array(0) : values };
}

/** Mean and standard deviation of the grey levels (0 and 0 for none). */
export function meanStd(values: Float32Array): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

/**
 * Focus: the variance of the Laplacian of the grey image (Pech-Pacheco et al., "Diatom autofocusing in brightfield
 * microscopy", ICPR 2000): a sharp frame has strong second derivatives at its edges, a blurred one (out of focus,
 * motion blur) has little left. Pure.
 */
import { meanStd, type Gray } from './gray.js';

/** Variance of the 4-neighbour Laplacian over the interior pixels; 0 for a frame under 3 × 3. */
export function laplacianVariance(gray: Gray): number {
  const { width, height, values } = gray;
  if (width < 3 || height < 3) return 0;
  const lap = new Float32Array((width - 2) * (height - 2));
  let k = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      lap[k++] = values[i - 1]! + values[i + 1]! + values[i - width]! + values[i + width]! - 4 * values[i]!;
    }
  }
  return meanStd(lap).std ** 2;
}

/** Why a frame fails the focus gate, or undefined when it passes. */
export function focusProblem(gray: Gray, minFocus: number): string | undefined {
  const focus = laplacianVariance(gray);
  return focus < minFocus ? `blurred: variance of the Laplacian ${focus.toFixed(1)} below ${minFocus} (focus the lens, or shorten the exposure against motion blur)` : undefined;
}

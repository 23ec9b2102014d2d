/**
 * Google's Turbo colour map (Mikhail, 2019: https://research.google/blog/turbo-an-improved-rainbow-colormap-for-visualization/),
 * as the degree-5 polynomial fit its authors published next to the 256-entry table (close to it, not equal),
 * so no table has to be shipped. Perceptually ordered dark blue → cyan → green → yellow → red → dark red.
 */

const R = [0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943] as const;
const G = [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604] as const;
const B = [0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973] as const;

function poly(c: readonly number[], x: number): number {
  let y = 0;
  for (let i = c.length - 1; i >= 0; i--) y = y * x + c[i]!;
  return y;
}

const byte = (v: number): number => Math.round(Math.min(1, Math.max(0, v)) * 255);

/** RGB bytes of Turbo at `t` in [0, 1]; values outside are clamped. */
export function turbo(t: number): [number, number, number] {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  return [byte(poly(R, x)), byte(poly(G, x)), byte(poly(B, x))];
}

/** The map at 256 evenly spaced points, for per-pixel lookup without evaluating polynomials. */
export function turboTable(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(turbo(i / 255), i * 3);
  return lut;
}

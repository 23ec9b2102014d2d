/**
 * A product's score distributions as a PNG: normal images in green, defective ones in red (each histogram scaled to
 * its own tallest bin, drawn translucent so overlaps show), the threshold as a black vertical line. The score range
 * of the x axis is written into the PNG as a `tEXt` chunk (`uniad-x-range`) and stated in the markdown report, so no
 * font is needed. Pure: numbers in, PNG bytes out.
 */
import { PNG } from 'pngjs';
import { withPngText } from '../images/png-text.js';

export interface ScorePlotInput {
  readonly normals: readonly number[];
  readonly defects: readonly number[];
  readonly threshold: number;
  readonly width?: number;
  readonly height?: number;
  readonly bins?: number;
}

export interface PlotRange {
  readonly lo: number;
  readonly hi: number;
}

const green: readonly [number, number, number] = [46, 160, 67];
const red: readonly [number, number, number] = [214, 39, 40];

/** x range covering every score and the threshold, with 5 % room either side. */
export function plotRange(values: readonly number[]): PlotRange {
  const finite = values.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const pad = max > min ? (max - min) * 0.05 : Math.abs(max) * 0.05 || 1;
  return { lo: min - pad, hi: max + pad };
}

/** Counts of `scores` in `bins` equal bins over `range`. */
export function histogram(scores: readonly number[], range: PlotRange, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const s of scores) {
    if (!Number.isFinite(s)) continue;
    const b = Math.floor(((s - range.lo) / (range.hi - range.lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return counts;
}

export function renderScorePlot(input: ScorePlotInput): { png: Buffer; range: PlotRange } {
  const width = input.width ?? 640;
  const height = input.height ?? 200;
  const bins = input.bins ?? 64;
  const range = plotRange([...input.normals, ...input.defects, input.threshold]);
  const png = new PNG({ width, height });
  png.data.fill(255);
  const plotH = height - 10;
  const put = (x: number, y: number, rgb: readonly number[], alpha: number) => {
    const o = (y * width + x) * 4;
    for (let c = 0; c < 3; c++) png.data[o + c] = Math.round(png.data[o + c]! * (1 - alpha) + rgb[c]! * alpha);
  };
  const bars = (scores: readonly number[], rgb: readonly number[]) => {
    const counts = histogram(scores, range, bins);
    const top = Math.max(1, ...counts);
    for (let x = 0; x < width; x++) {
      const barH = Math.round((counts[Math.min(bins - 1, Math.floor((x / width) * bins))]! / top) * (plotH - 4));
      for (let y = plotH - barH; y < plotH; y++) put(x, y, rgb, 0.55);
    }
  };
  bars(input.normals, green);
  if (input.defects.length > 0) bars(input.defects, red);
  for (let x = 0; x < width; x++) put(x, plotH, [0, 0, 0], 0.5); // baseline
  const cut = Math.round(((input.threshold - range.lo) / (range.hi - range.lo)) * (width - 1));
  for (let y = 0; y < height; y++) for (const x of [cut - 1, cut]) if (x >= 0 && x < width) put(x, y, [0, 0, 0], 1);
  return { png: withPngText(PNG.sync.write(png), 'uniad-x-range', `${range.lo} ${range.hi}`), range };
}

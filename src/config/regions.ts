/**
 * A camera's regions and ignored areas (`cameras[].size`, `regions`, `ignore`; docs/tiles.md): named rectangles of
 * the camera image, each inspected on its own (letterboxed whole into the model's input, or cut into tiles at a
 * scale), and areas whose anomalies never count. All in camera pixels. The rules that need the camera's size
 * (refinements.ts) check that they lie in the frame.
 */
import { z } from 'zod';
import { range } from './fields.js';

const pixel = (why: string) => range(0, 65_535, ' px', why, true);
const extent = (why: string) => range(1, 65_535, ' px', why, true);

/** The camera's resolution: what its source delivers, the frame regions and ignored areas are placed in. */
export const frameSize = z
  .object({
    width: extent('the width of the camera image, e.g. 2448 for a 5 MP camera'),
    height: extent('the height of the camera image, e.g. 2048 for a 5 MP camera'),
  })
  .strict();

const rectangle = {
  x: pixel('a pixel position in the camera image'),
  y: pixel('a pixel position in the camera image'),
  width: extent('a size in camera pixels'),
  height: extent('a size in camera pixels'),
};

/** Cut into tiles of the model's input size at `scale` tile pixels per camera pixel, overlapping by `overlap`. */
const tiles = z
  .object({
    scale: range(0.01, 8, '', 'tile pixels per camera pixel: 1 inspects at the camera\'s own resolution (the smallest defects), 0.5 at half').default(1),
    overlap: range(0, 4096, ' px', 'pixels (at the tiling scale) that neighbouring tiles share, so a defect on a tile border is seen whole by one of them', true).default(32),
  })
  .strict();

export const region = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" and "-" (it names the region in verdicts and evidence folders)'),
    ...rectangle,
    /** The region's own product (one camera, two products or two faces); absent: the camera's. */
    product: z.string().min(1, 'name the product class this region shows, or leave product out for the camera\'s').optional(),
    threshold: range(1e-9, 1e9, '', 'an anomaly score: at or above it the region rejects the part').optional(),
    /** Absent: the region is letterboxed whole into the model's input. */
    tiles: tiles.optional(),
  })
  .strict();

const polygon = z
  .object({ polygon: z.array(z.tuple([z.number().finite(), z.number().finite()])).min(3, 'a polygon needs 3 points or more, [[x, y], ...] in camera pixels') })
  .strict();

/** An area to ignore: a rectangle or a polygon, in camera pixels. */
export const ignoreShape = z.union([z.object(rectangle).strict(), polygon], {
  errorMap: () => ({ message: 'give a rectangle {x, y, width, height} or a polygon: [[x, y], [x, y], [x, y], ...], in camera pixels' }),
});

export type RegionConfig = z.output<typeof region>;

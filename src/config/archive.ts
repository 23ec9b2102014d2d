/** `archive:` — evidence of rejects under `archive/` of the state folder (src/evidence/archive.ts). */
import { z } from 'zod';
import { range } from './fields.js';

export const archive = z
  .object({
    enabled: z.boolean().default(true),
    maxMegabytes: range(1, 1_000_000, ' MB', 'the oldest evidence is deleted past it').default(1024),
    maxAgeDays: range(0.001, 3650, ' days', 'older evidence is deleted').default(30),
    /** Keep 1 in N good frames (frame + verdict) as a sample of what passed; 0 = none. */
    goodSampleEvery: range(0, 1_000_000, ' frames', 'keeps one good frame in N per camera; 0 keeps none', true).default(0),
    /**
     * Evidence images (a region at the camera's resolution, its heatmap) are downscaled to at most this many pixels a
     * side; 4096 keeps a 5 or 12 MP camera's pixels whole.
     */
    maxSide: range(64, 65_535, ' px', 'evidence images larger than this a side are downscaled to it (a PNG of a 5 MP region is about 10 MB)', true).default(4096),
  })
  .strict();

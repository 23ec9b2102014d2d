/** `cameras:` — one entry a camera: its topic, its product, where its frames come from and how they are taken. */
import { z } from 'zod';
import { parseSourceUri } from '../sources/uri.js';
import { thresholdBounds } from '../threshold-bounds.js';
import type { Crop } from '../types.js';
import { parsedBy, range, topicLevel } from './fields.js';
import { genicam } from './genicam.js';
import { frameSize, ignoreShape, region } from './regions.js';
import { parts } from './parts.js';

const crop: z.ZodType<Crop> = z
  .object({
    x: range(0, 16_384, ' px', 'a pixel position in the camera image', true),
    y: range(0, 16_384, ' px', 'a pixel position in the camera image', true),
    width: range(1, 16_384, ' px', 'a size in camera pixels', true),
    height: range(1, 16_384, ' px', 'a size in camera pixels', true),
  })
  .strict();

const threshold = range(thresholdBounds.min, thresholdBounds.max, '', "an anomaly score on the model's own scale (the sidecar's thresholds; uniad-edge calibrate): at or above it a part is rejected");

export const camera = z
  .object({
    id: topicLevel,
    line: topicLevel,
    product: z.string().min(1, 'name the product class this camera inspects'),
    /** Parsed here to find a bad URI; paths.ts turns it into the source's spec. */
    source: parsedBy(z.string().min(1, 'give a source URI (rtsp://, file://, v4l2:///dev/videoN, test:)'), parseSourceUri),
    crop: crop.optional(),
    /** This camera's threshold for its `product`, under the model loaded with this config (README, "Threshold precedence"). */
    threshold: threshold.optional(),
    /** This camera's thresholds for other products its line's recipe may select: product → threshold. */
    thresholds: z.record(z.string().min(1), threshold).optional(),
    /** Run a product the model was not trained on (its threshold given here): without it such a product is refused at start. */
    allowUnknownProduct: z.boolean().default(false),
    /** Re-open a file source at its end instead of reporting it ended (demo videos). */
    loop: z.boolean().default(false),
    /** Play a file at its own frame rate, like a camera (frames dropped when the model falls behind), instead of every frame. */
    live: z.boolean().optional(),
    /** Cap the frame rate taken from the camera; omitted = as the camera sends. A file not played `live` is not paced: the cap keeps frames by the video's own timestamps. */
    fps: range(0.1, 240, ' frames/s', 'a cap on the frames taken from the camera; omit it to take what the camera sends').optional(),
    /**
     * Overload policy when frames arrive faster than the model (src/pipeline/overload.ts): `drop-oldest` lets up to 32
     * frames wait and sheds the oldest; `keep-latest` lets only the newest frame wait. Shed frames get `deadline` verdicts.
     */
    overload: z.enum(['drop-oldest', 'keep-latest']).default('drop-oldest'),
    /** Seconds with no frame before the camera is restarted. */
    watchdogSeconds: range(1, 3600, ' s', 'a camera with no frame for this long is restarted; shorter restarts a camera that is merely slow to start, forever').default(10),
    /**
     * `nvmm`: Jetson hardware decoder and NVMM buffers (src/sources/launch-nvmm.ts); `software`: decodebin on the CPU;
     * `auto`: nvmm where the NVIDIA GStreamer elements are installed, else software (one log line says so).
     */
    decoder: z.enum(['auto', 'software', 'nvmm']).default('auto'),
    /** A `genicam://` camera's GenICam settings (src/config/genicam.ts). */
    genicam: genicam.optional(),
    /** The camera's resolution, in which regions and ignored areas are placed (src/config/regions.ts). */
    size: frameSize.optional(),
    /** Named regions inspected on their own, letterboxed or in tiles; absent: the whole image (or crop), letterboxed. */
    regions: z.array(region).nonempty('list at least one region, or leave regions out').optional(),
    /** Areas whose anomalies never count (conveyor edges, fixtures). */
    ignore: z.array(ignoreShape).nonempty('list at least one area, or leave ignore out').optional(),
    /** How the camera's frames make parts, each with one part decision (src/config/parts.ts, docs/parts.md). */
    parts: parts.optional(),
  })
  .strict();

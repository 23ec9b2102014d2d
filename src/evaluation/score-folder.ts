/**
 * Image and pixel AUROC of an ONNX model on a folder of test images, scored through the runtime's own inference
 * path (InferenceEngine: the worker thread and its onnxruntime-node session), per class and as the mean over
 * classes — the numbers UniAD §4 reports, and the ones the sidecar's `evaluation` key records (in percent).
 *
 * Folder evaluation/: the `evaluate` command (this file, the datasets it reads, AUROC) and the demo line run through
 * the runtime (line.ts). It may reuse sources/, pipeline/, images/ and config.ts; it never imports sinks/, broker/,
 * http/, evidence/, calibrate/, doctor/ or the wiring.
 */
import type { InferenceEngine } from '../pipeline/engine.js';
import { scorePoolOf } from '../pipeline/sidecar.js';
import { modelInputs, regionInferences } from '../tiles/frame.js';
import { regionFrame } from '../tiles/region-image.js';
import type { Frame, RegionLayout } from '../types.js';
import { auroc } from './auroc.js';
import { buildInfo, readImage, readMask, readRgb, testImages, type BuildInfo, type TestImage } from './dataset.js';

/** AUROC in percent of one class; `pixel` is NaN when no image of the class has a mask pixel. */
export interface ClassScore {
  readonly image: number;
  readonly pixel: number;
  readonly images: number;
  readonly defective: number;
}

/** Image and pixel AUROC in percent. */
export interface AurocPair {
  readonly image: number;
  readonly pixel: number;
}

/** The sidecar's `evaluation.<set>` block, plus how the folder was built. */
export interface FolderScore {
  readonly seed: number | null;
  readonly imageAuroc: number;
  readonly pixelAuroc: number;
  readonly perClass: Record<string, ClassScore>;
  /** Per defect kind: the mean over classes of the AUROC of the good images against that kind's images alone. */
  readonly perKind: Record<string, AurocPair>;
  readonly build: BuildInfo;
  readonly images: number;
}

export interface ScoreOptions {
  readonly classes?: readonly string[];
  readonly batchSize?: number;
  /** Called after each class with its result. */
  readonly onClass?: (cls: string, score: ClassScore) => void;
  /**
   * Score each image as this region of a camera (images are whole camera images): cut, tiled, stitched and scored as
   * the runtime does (tiles/); pixel AUROC on the region's map against its part of the mask.
   */
  readonly region?: RegionLayout;
}

const percent = (v: number) => (Number.isNaN(v) ? Number.NaN : Math.round(v * 10000) / 100);

function mean(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

interface RawClass extends ClassScore {
  readonly kinds: Record<string, AurocPair>;
}

/** The score and map of each image of `chunk`: the model's, or its region's (`region`). */
async function scoreChunk(engine: InferenceEngine, chunk: readonly TestImage[], seq: number, region: RegionLayout | undefined) {
  const { width, height } = engine.sidecar.input;
  const frames: Frame[] = chunk.map((img, i) => {
    const base = { camera: 'evaluate', line: 'evaluate', product: img.cls, seq: seq + i, capturedAt: 0 };
    return region === undefined ? { ...base, width, height, pixels: readRgb(img.path, width, height) } : regionFrame(readImage(img.path), [region], base);
  });
  const inputs = frames.map(modelInputs);
  const results = await engine.run(inputs.flat());
  let at = 0;
  return frames.map((frame, i) => {
    const own = results.slice(at, (at += inputs[i]!.length));
    return region === undefined ? own[0]! : regionInferences(frame, own, scorePoolOf(engine.sidecar))[0]!;
  });
}

/** Raw AUROC (0..1) of one class; percent comes at the end so that means are taken before rounding. */
async function scoreClass(engine: InferenceEngine, images: readonly TestImage[], batchSize: number, region?: RegionLayout): Promise<RawClass> {
  const input = engine.sidecar.input;
  const { width, height } = region?.tiles === undefined ? input : region;
  const size = width * height;
  const scores = new Float64Array(images.length);
  const maps = new Float32Array(images.length * size);
  const masks = new Uint8Array(images.length * size);
  // A batch of `batchSize` model inputs: a tiled region's image is several.
  const perImage = region?.tiles?.length ?? 1;
  const chunkSize = Math.max(1, Math.floor(batchSize / perImage));
  for (let start = 0; start < images.length; start += chunkSize) {
    const chunk = images.slice(start, start + chunkSize);
    const results = await scoreChunk(engine, chunk, start, region);
    results.forEach((r, i) => {
      if (r.mapWidth !== width || r.mapHeight !== height) {
        throw new Error(`anomaly_map is ${r.mapWidth}x${r.mapHeight}, not the input's ${width}x${height}`);
      }
      scores[start + i] = r.score;
      maps.set(r.anomalyMap, (start + i) * size);
      masks.set(readMask(chunk[i]!, width, height, region?.source), (start + i) * size);
    });
  }
  const labels = images.map((img) => (img.kind === 'good' ? 0 : 1));
  const kinds: Record<string, AurocPair> = {};
  for (const kind of new Set(images.filter((img) => img.kind !== 'good').map((img) => img.kind))) {
    const idx = images.flatMap((img, i) => (img.kind === 'good' || img.kind === kind ? [i] : []));
    const pick = <T extends Float32Array | Uint8Array>(all: T, out: T) => {
      idx.forEach((i, k) => out.set(all.subarray(i * size, (i + 1) * size), k * size));
      return out;
    };
    kinds[kind] = {
      image: auroc(idx.map((i) => scores[i]!), idx.map((i) => labels[i]!)),
      pixel: auroc(pick(maps, new Float32Array(idx.length * size)), pick(masks, new Uint8Array(idx.length * size))),
    };
  }
  return {
    image: auroc(scores, labels),
    pixel: auroc(maps, masks),
    images: images.length,
    defective: labels.filter((l) => l === 1).length,
    kinds,
  };
}

/** Scores every test image under `root` (MVTec AD layout) with `engine`; AUROC in percent, means over classes. */
export async function scoreFolder(engine: InferenceEngine, root: string, options: ScoreOptions = {}): Promise<FolderScore> {
  const images = testImages(root, options.classes);
  const raw: Record<string, RawClass> = {};
  const perClass: Record<string, ClassScore> = {};
  for (const cls of [...new Set(images.map((i) => i.cls))]) {
    const r = await scoreClass(engine, images.filter((i) => i.cls === cls), options.batchSize ?? 8, options.region);
    raw[cls] = r;
    perClass[cls] = { image: percent(r.image), pixel: percent(r.pixel), images: r.images, defective: r.defective };
    options.onClass?.(cls, perClass[cls]);
  }
  const perKind: Record<string, AurocPair> = {};
  for (const kind of [...new Set(Object.values(raw).flatMap((r) => Object.keys(r.kinds)))].sort()) {
    const of = Object.values(raw).flatMap((r) => (r.kinds[kind] ? [r.kinds[kind]] : []));
    perKind[kind] = { image: percent(mean(of.map((k) => k.image))), pixel: percent(mean(of.map((k) => k.pixel))) };
  }
  const build = buildInfo(root);
  return {
    seed: build.seed ?? null,
    imageAuroc: percent(mean(Object.values(raw).map((c) => c.image))),
    pixelAuroc: percent(mean(Object.values(raw).map((c) => c.pixel))),
    perClass,
    perKind,
    build,
    images: images.length,
  };
}

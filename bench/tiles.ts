/**
 * What tiles cost (docs/tiles.md): the real service with one camera whose whole image is one region cut into 1, 4,
 * 16 or 30 tiles of the model's input at the camera's own scale. Throughput: the camera sends faster than the model
 * scores, so frames decided per second is the pipeline's capacity at that many tiles a frame (tiles/s = frames/s ×
 * tiles). Latency: the same camera paced at half that capacity, capture → verdict received.
 */
import { runPipeline, type CameraSource, type PipelineRunResult } from './pipeline-run.js';

export interface TilesPoint {
  readonly tiles: number;
  /** The camera image (= the region), at the tiling scale 1. */
  readonly width: number;
  readonly height: number;
  /** Faster than the model: what it decides per second. */
  readonly capacity: PipelineRunResult;
  /** Paced at half the capacity. */
  readonly paced?: PipelineRunResult;
}

export interface TilesOptions {
  readonly modelPath: string;
  readonly input: { readonly width: number; readonly height: number };
  readonly counts: readonly number[];
  readonly batchMaxSize: number;
  readonly batchMaxWaitMs: number;
  readonly threads: number;
  readonly warmupS: number;
  readonly measureS: number;
  readonly log: (msg: string) => void;
}

/** Tiles across and down for `n` tiles: as square as the count allows (30: 6 x 5). */
function grid(n: number): [number, number] {
  let down = Math.floor(Math.sqrt(n));
  while (n % down !== 0) down--;
  return [n / down, down];
}

/** The overlap of the shipped config default (config/regions.ts). */
const overlap = 32;

/** A `test:` camera whose image is exactly `n` tiles of `input` overlapping by 32 px, tiled whole at scale 1. */
function tiledCamera(n: number, input: TilesOptions['input'], fps: number): CameraSource & { width: number; height: number } {
  const [across, down] = grid(n);
  const width = input.width + (across - 1) * (input.width - overlap);
  const height = input.height + (down - 1) * (input.height - overlap);
  // smpte: cheap to generate, so the capture process costs what cropping and converting cost, not a noise generator
  return { source: 'test:smpte', fps, width, height, size: { width, height }, regions: [{ name: 'all', x: 0, y: 0, width, height, tiles: { scale: 1, overlap } }] };
}

export async function measureTiles(o: TilesOptions): Promise<TilesPoint[]> {
  const points: TilesPoint[] = [];
  for (const n of o.counts) {
    const run = (fps: number) => runPipeline({ modelPath: o.modelPath, cameras: [tiledCamera(n, o.input, fps)], batchMaxSize: o.batchMaxSize, batchMaxWaitMs: o.batchMaxWaitMs, threads: o.threads, warmupS: o.warmupS, measureS: o.measureS });
    const { width, height } = tiledCamera(n, o.input, 1);
    // About twice the tiles a second a CPU scores: the queue stays full, frames beyond it are shed (not many, so
    // that capturing them does not take the cores the model needs).
    o.log(`tiles: ${n} a frame (${width}x${height}), camera faster than the model…`);
    const capacity = await run(Math.min(60, 200 / n));
    const pacedFps = capacity.fps / 2;
    let paced: PipelineRunResult | undefined;
    if (pacedFps >= 0.2) {
      o.log(`tiles: ${n} a frame, paced at ${pacedFps.toFixed(2)} frames/s…`);
      paced = await run(pacedFps);
    }
    points.push({ tiles: n, width, height, capacity, ...(paced ? { paced } : {}) });
  }
  return points;
}

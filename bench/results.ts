/** What one `npm run bench` measured; rendered by report.ts, judged by targets.ts. */
import type { GpuTiming } from './gpu-reference.js';
import type { ImageCosts } from './images.js';
import type { PairPoint } from './model-pair.js';
import type { OpProfile } from './op-profile.js';
import type { PipelineRunResult } from './pipeline-run.js';
import type { RawPoint } from './raw.js';
import type { TilesPoint } from './tiles.js';
import type { Spread } from './stats.js';
import type { TorchTiming } from './torch-reference.js';

export const sectionNames = ['raw', 'pipeline', 'latency', 'torch', 'flops', 'tuning', 'policy', 'gpu', 'tiles'] as const;
export type SectionName = (typeof sectionNames)[number];

export interface ModelUnderTest {
  /** Short label in tables: `demo`, `demo-int8`, `paper`. */
  readonly label: string;
  readonly path: string;
  /** The preset of models/uniad/configs.py it was built from, for the PyTorch reference. */
  readonly preset?: string;
  readonly size: { readonly height: number; readonly width: number };
  /** First 12 hex digits of the file's SHA-256: which model the numbers are for. */
  readonly sha256: string;
  /** The sidecar's `quantization` note (models/uniad/quantize.py), for a quantised model. */
  readonly quantization?: unknown;
}

export interface TorchComparison {
  readonly torch: TorchTiming;
  /** Raw onnxruntime frames/s on the export of the same weights, same batch. */
  readonly ortFps: number;
}

export interface FlopFigures {
  readonly profile: OpProfile;
  /** GFLOP/s at the best raw batch. */
  readonly achieved: number;
  readonly atBatch: number;
}

export interface TuningPoint {
  readonly name: string;
  /** Median frames/s, interleaved with the baseline run by run. */
  readonly fps: number;
  readonly baselineFps: number;
}

export interface PolicyPoint {
  readonly batchMaxSize: number;
  readonly batchMaxWaitMs: number;
  readonly run: PipelineRunResult;
}

export interface ModelResults {
  readonly model: ModelUnderTest;
  raw?: RawPoint[];
  throughput?: PipelineRunResult[];
  latency?: PipelineRunResult[];
  torch?: TorchComparison;
  flops?: FlopFigures;
}

export interface Peak {
  /** cores · AVX-512 FMA units (2) · 16 lanes · 2 FLOP · clock from /proc/cpuinfo. */
  readonly derived: number;
  readonly clockGHz: number;
  /** The figure docs/platform.md gives. */
  readonly nominal: number;
  /** A 1024³ FP32 MatMul in onnxruntime, best of its runs, in this run. */
  readonly gemm: number;
}

export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly load: readonly number[][]; readonly node: string; readonly ort: string };
  readonly models: ModelResults[];
  peak?: Peak;
  tuning?: TuningPoint[];
  policy?: PolicyPoint[];
  /** Cameras, per-camera fps and model of the policy curves. */
  policySetup?: { readonly cameras: number; readonly fps: number; readonly model: string };
  /** The demo model on one camera cut into 1, 4, 16, 30 tiles (tiles.ts). */
  tiles?: TilesPoint[];
  /** FP32 (`base`) against int8 (`other`) demo model, runs interleaved (model-pair.ts). */
  int8Pairs?: PairPoint[];
  /** `loads`, or why onnxruntime's CPU provider refuses a bf16 MatMul. */
  bf16?: string;
  /** Camera rate of the latency runs (all cameras together). */
  latencySetup?: { readonly totalFps: number };
  /** One message through the embedded broker alone (broker-hop.ts), ms: at the 1-camera frame interval and back to back. */
  brokerHop?: { readonly gapMs: number; readonly atGap: Spread; readonly backToBack: Spread };
  /** What the images of a reject cost the CPU (images.ts). */
  images?: ImageCosts;
  /** PyTorch on a GPU, or why there is none (gpu-reference.ts). */
  gpu?: GpuTiming;
}

/**
 * The contracts that travel between sources, pipeline and sinks. Defined once here; every module imports them.
 */

/** Execution providers in the order the runtime tries them. */
export const providerNames = ['tensorrt', 'cuda', 'cpu'] as const;
export type ProviderName = (typeof providerNames)[number];

/** A rectangle in source pixels: the part of a camera image that is inspected. */
export interface Crop {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One decoded camera frame, RGB, tightly packed rows (width * 3 bytes a row), already cropped and scaled. */
export interface Frame {
  readonly camera: string;
  readonly line: string;
  /** Product class the camera inspects; selects the per-class threshold. */
  readonly product: string;
  /** Per-camera sequence number, starting at 0 for each capture session of the service. */
  readonly seq: number;
  /** Epoch milliseconds when the parent process received the frame. */
  readonly capturedAt: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Frames of any cameras that go through the model together. */
export interface Batch {
  readonly frames: readonly Frame[];
}

/** What the model said about one frame. */
export interface Inference {
  readonly score: number;
  /** Row-major anomaly map of mapHeight x mapWidth. */
  readonly anomalyMap: Float32Array;
  readonly mapWidth: number;
  readonly mapHeight: number;
  /** The run that scored the frame's batch (absent from scorers that do not time their runs). */
  readonly run?: RunTimes;
}

/** One `session.run`, timed inside the worker, in precise epoch ms (src/pipeline/precise-clock.ts). */
export interface RunTimes {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly batchSize: number;
}

/**
 * When a frame passed each stage of the pipeline, in precise epoch ms, for latency accounting (bench/): capture
 * (`Frame.capturedAt`, whole ms) → batch complete (`batchedAt`) → `session.run` (`inference.run`) → `decidedAt`.
 */
export interface StageTimes {
  /** The batch holding the frame was complete (size reached, wait over, or no wait configured). */
  readonly batchedAt: number;
  readonly decidedAt: number;
}

export type Reason = 'anomaly' | 'ok' | 'deadline' | 'error';

/** The decision on one frame: what the MQTT `verdict` topic carries. */
export interface Verdict {
  /** Unique and stable for a frame: `<camera>:<session>:<seq>`; subscribers deduplicate on it. */
  readonly id: string;
  readonly camera: string;
  readonly line: string;
  readonly product: string;
  readonly seq: number;
  readonly capturedAt: number;
  readonly decidedAt: number;
  /** null when the frame was never scored (deadline, error). */
  readonly score: number | null;
  readonly threshold: number;
  /** score / threshold: 1.0 at the threshold, one scale across products for people; null when not scored. */
  readonly normalizedScore: number | null;
  readonly reject: boolean;
  readonly reason: Reason;
  /** `<name>@<version>` of the model that decided. */
  readonly model: string;
}

/** A verdict with the frame and inference that produced it, for sinks that need pixels or the map (heatmap). */
export interface Decision {
  readonly verdict: Verdict;
  readonly frame: Frame;
  readonly inference?: Inference;
  /** Absent for frames that never reached a batch (wrong size, shed before batching). */
  readonly times?: StageTimes;
}

/** The JSON sidecar next to an exported model (`x.onnx` + `x.json`). See docs/architecture.md, "The model contract". */
export interface ModelSidecar {
  readonly name: string;
  readonly version: string;
  readonly input: { readonly height: number; readonly width: number };
  readonly classes: readonly string[];
  /** Per-class image-score thresholds from calibration. */
  readonly thresholds: Readonly<Record<string, number>>;
  /** Used for a class the model has no threshold for. */
  readonly defaultThreshold: number;
  readonly backbone: string;
  readonly scoreStats?: Readonly<Record<string, { mean: number; std: number; max: number }>>;
  readonly training?: Readonly<Record<string, unknown>>;
}

/** Fail-safe decision for frames that could not be inspected (deadline, error). */
export type FailSafe = 'reject' | 'pass';

/** Log levels, least severe first: a logger at one level prints it and every level after it. */
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Who a client of the embedded broker is (config `embeddedBroker.users`): `service` publishes under the prefix and
 * the status topic, `operator` may also write the command topics, `viewer` only reads (the dashboard's credential).
 */
export const roleNames = ['service', 'operator', 'viewer'] as const;
export type Role = (typeof roleNames)[number];

/** TensorRT settings (config `model.tensorrt`); src/pipeline/tensorrt-options.ts turns them into provider options. */
export interface TensorrtSettings {
  /** Let TensorRT pick FP16 kernels (the FP32 graph is kept; TensorRT decides per layer). */
  readonly fp16: boolean;
  /** Keep built engines in `engine-cache/` of the state folder, so a restart does not build again. */
  readonly engineCache: boolean;
  /** Keep TensorRT's timing cache there too: a rebuild (new model) reuses the kernel timings. */
  readonly timingCache: boolean;
  /** Builder workspace limit in MiB; absent = TensorRT's default. */
  readonly workspaceMb?: number;
  /** TensorRT builder optimisation level 0–5; absent = onnxruntime's default (3). Lower builds faster. */
  readonly builderOptimizationLevel?: number;
}

/** How a camera decodes: `nvmm` = Jetson hardware decoder and NVMM buffers, `software` = decodebin on the CPU. */
export type DecoderChoice = 'auto' | 'software' | 'nvmm';

/**
 * Thresholds measured by `uniad-edge calibrate` for one model (config `thresholdsFile`). Precedence in the service,
 * highest first: a live set over MQTT > the camera's `threshold` in config > this file (camera entry, then product
 * entry) > the model's sidecar.
 */
export interface ThresholdsFile {
  /** `<name>@<version>` the scores were measured with: the file applies to that model only. */
  readonly model: string;
  /** The false-reject rate on normal images the thresholds were set for. */
  readonly targetFalseReject: number;
  /** Product → threshold. */
  readonly products: Readonly<Record<string, number>>;
  /** Camera id → product → threshold, from images of that camera. */
  readonly cameras: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Why the node is `degraded` on its status topic: an error code of src/errors.ts and its message (with the fix). */
export interface StatusCause {
  readonly code: string;
  readonly message: string;
}

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

/**
 * A part signal that asks a camera for a frame: the PLC's part id and when the part was seen (epoch ms, the PLC's
 * time when it says, else when the signal arrived).
 */
export interface PartTrigger {
  readonly partId: string;
  readonly at: number;
}

/**
 * How one region of a camera reaches the model (src/tiles/, docs/tiles.md). Built once per camera at start from its
 * config and the model's input size; every frame of the camera carries the same object.
 */
export interface RegionLayout {
  /** Unique within the camera; names the region in verdicts and evidence. */
  readonly name: string;
  /** The region's own product; absent: the frame's (the camera's, or the line's recipe). */
  readonly product?: string;
  /** Where the region lies in the camera image, in camera pixels. */
  readonly source: Crop;
  /** Size of the region image capture delivers (cropped and scaled by GStreamer), RGB. */
  readonly width: number;
  readonly height: number;
  /**
   * The tiles, in region-image pixels, row-major, each the model's input size: the region image is at the tiling
   * scale and its anomaly map is stitched from theirs. Absent: the region image IS the model input (the region
   * letterboxed into it) and its map is the model's.
   */
  readonly tiles?: readonly Crop[];
  /** Anomaly-map pixels to ignore (1 = ignored, zeroed before the score), one byte per map pixel; absent: none. */
  readonly ignore?: Uint8Array;
}

/** One region of a frame: its layout and its pixels (layout.width x layout.height, RGB, tightly packed). */
export interface RegionImage {
  readonly layout: RegionLayout;
  readonly pixels: Uint8Array;
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
  /** The software trigger this frame answers, exactly one frame per trigger (a software-triggered GenICam camera). */
  readonly trigger?: PartTrigger;
  /**
   * A camera with regions (config `cameras[].regions`, `ignore`): each region's image, in config order, inspected
   * together and decided as one frame. `width`, `height` and `pixels` are then those of the first region.
   */
  readonly regions?: readonly RegionImage[];
  /** The part this frame shows, as the camera's part former (src/parts/) assigned it before the frame was scored. */
  readonly part?: PartTrigger;
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
  /**
   * A frame with regions: each region's score and map (stitched from its tiles, ignored pixels zeroed), in the
   * frame's region order. The fields above are then those of region `region`, the one that decided the verdict.
   */
  readonly regions?: readonly RegionInference[];
  readonly region?: number;
}

/** What the model said about one region of a frame: its score (the model's rule on its map) and its map. */
export interface RegionInference {
  readonly score: number;
  /** Row-major, mapHeight x mapWidth: the tiling-scale region for a tiled region, the model input otherwise. */
  readonly anomalyMap: Float32Array;
  readonly mapWidth: number;
  readonly mapHeight: number;
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
  /**
   * A camera with regions: each region's result, in config order. The frame is rejected when any region is;
   * `score`, `threshold` and `normalizedScore` above are then those of the region with the highest normalized score.
   */
  readonly regions?: readonly RegionVerdict[];
  /** The part the frame shows (Frame.part), on cameras that form parts. */
  readonly partId?: string;
}

/** One region's part of a frame's verdict. */
export interface RegionVerdict {
  readonly name: string;
  readonly product: string;
  readonly score: number | null;
  readonly threshold: number;
  readonly normalizedScore: number | null;
  readonly reject: boolean;
}

/**
 * Why a part was decided as it was: its frames' verdicts (`anomaly`, `ok`), a frame that was never scored (`deadline`,
 * `error`: the fail-safe decides), or no frame at all within the part's timeout (`no-frame`: the fail-safe decides).
 */
export type PartReason = Reason | 'no-frame';

/** The reasons of a part the fail-safe decided: what its frames could not. */
export const failSafePartReasons: readonly PartReason[] = ['no-frame', 'deadline', 'error'];

/** Where a part came from: the PLC's part signal (a trigger), or the service's own part detector. */
export type PartSource = 'trigger' | 'detector';

/** The decision on one part: what the MQTT `part` topic carries (docs/parts.md). */
export interface PartVerdict {
  /** `<camera>:part:<partId>` (src/part-id.ts): stable across restarts for PLC parts; the actuator dedups on it. */
  readonly id: string;
  readonly partId: string;
  readonly camera: string;
  readonly line: string;
  readonly product: string;
  /** The verdicts of the part's frames, in capture order. */
  readonly verdictIds: readonly string[];
  readonly reject: boolean;
  readonly reason: PartReason;
  /** The part's score under its rule (the highest of its scored frames); null when none was scored. */
  readonly score: number | null;
  /** The threshold the deciding frame was judged by; null when no frame was scored. */
  readonly threshold: number | null;
  /** When the part was at the camera (epoch ms): the part signal's time, or its first frame's for a detected part. */
  readonly signalAt: number;
  readonly decidedAt: number;
  /** `<name>@<version>` of the model that scored its frames (the live model for a part without frames). */
  readonly model: string;
  readonly source: PartSource;
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
  /**
   * The side of the average-pooling window whose maximum over the anomaly map is the score (UniAD: 16), in map
   * pixels. The runtime applies the same rule to a region's stitched or masked map (src/tiles/score.ts).
   */
  readonly scorePool?: number;
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
 * the status topic, `operator` may also write the command topics, `viewer` only reads (the dashboard's credential),
 * `actuator` publishes a reject actuator's topics, `plc` only the part triggers (src/broker/acl.ts).
 */
export const roleNames = ['service', 'operator', 'viewer', 'actuator', 'plc', 'fleet-admin'] as const;
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
 * Thresholds measured by `uniad-edge calibrate` for one model (config `model.thresholdsFile`, `shadow.thresholdsFile`).
 * Where it stands among the other sources: README, "Threshold precedence" (pipeline/threshold-sources.ts).
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
  /** Camera id → region name → product → threshold, from that camera's images cut as its region is (tiles/). */
  readonly regions?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;
}

/** Why the node is `degraded` on its status topic: an error code of src/errors.ts and its message (with the fix). */
export interface StatusCause {
  readonly code: string;
  readonly message: string;
}

import type { ErrorCode } from '../errors.js';
import type { LogLevel, ModelSidecar, ProviderName, TensorrtSettings } from '../types.js';
import type { ProviderFailure } from './providers.js';

/** Messages between the engine (main thread) and the inference worker. Buffers travel as transfers, never copies. */

export interface WorkerInit {
  readonly modelPath: string;
  readonly providers: readonly ProviderName[];
  readonly threads: number;
  readonly spinning?: boolean;
  /** Loaded and validated on the main thread, so a bad sidecar fails before a worker is started. */
  readonly sidecar: ModelSidecar;
  /** TensorRT settings, engine folder and batch range; absent = TensorRT with its own defaults (tools, tests). */
  readonly session?: SessionSettings;
}

export interface SessionSettings {
  readonly tensorrt: TensorrtSettings;
  readonly engineCacheDir: string;
  readonly batchMaxSize: number;
  /** Run every batch size 1..batchMaxSize once after loading (`uniad-edge check`), so nothing is left to build later. */
  readonly warmAllBatches?: boolean;
}

/** Main → worker. `pixels` is the ArrayBuffer of one contiguous uint8 [n, H, W, 3] batch. */
export type ToWorker = { readonly type: 'run'; readonly id: number; readonly n: number; readonly pixels: ArrayBuffer } | { readonly type: 'close' };

export interface SerializedError {
  readonly code?: ErrorCode;
  readonly message: string;
}

/** Worker → main. `scores` holds n float32, `maps` n * mapHeight * mapWidth float32, frame after frame. */
export type FromWorker =
  | { readonly type: 'ready'; readonly provider: ProviderName; readonly description: string; readonly failures: readonly ProviderFailure[] }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly scores: ArrayBuffer;
      readonly maps: ArrayBuffer;
      readonly mapHeight: number;
      readonly mapWidth: number;
      /** `session.run` start and end, precise epoch ms (precise-clock.ts). */
      readonly startedAt: number;
      readonly endedAt: number;
    }
  | { readonly type: 'run-error'; readonly id: number; readonly error: SerializedError }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields?: Record<string, unknown> };

/**
 * The session options for one execution provider, built from the config. Pure.
 *
 * Route taken for TensorRT (read against onnxruntime's js/node/src/session_options_helper.cc and the TensorRT EP):
 * the stock Node binding creates the TensorRT provider options, sets `device_id` and nothing else, and because those
 * are the V2 options the EP ignores every `ORT_TENSORRT_*` environment variable. Session config entries
 * (`sessionOptions.extra`) do reach onnxruntime, but the TensorRT EP reads only the three `ep.context_*` entries from
 * them: FP16, the timing cache, the workspace limit, the builder level and the optimisation profile are provider
 * options and cannot travel that way. So the Jetson build patches the binding to hand every other string property of
 * the `tensorrt` entry to `UpdateTensorRTProviderOptions` (deploy/jetson/patch-node-tensorrt-options.py), and the
 * entry built here carries onnxruntime's own option names. A binding without that patch would drop them silently:
 * `tensorrtUndeliverable` names what it would drop, and the session refuses to start TensorRT with them.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { ProviderName, TensorrtSettings } from '../types.js';

export interface ProviderContext {
  readonly tensorrt: TensorrtSettings;
  /** Engines and the timing cache (`engine-cache/` in the state folder). */
  readonly engineCacheDir: string;
  /** The model's input name and size; the batch dimension spans 1..batchMaxSize. */
  readonly inputName: string;
  readonly height: number;
  readonly width: number;
  readonly batchMaxSize: number;
}

/** A `tensorrt` entry with onnxruntime's TensorRT option names; values are strings, as the C API takes them. */
export type TensorrtProviderEntry = { readonly name: 'tensorrt' } & Readonly<Record<string, string>>;

const flag = (on: boolean) => (on ? '1' : '0');

/**
 * One optimisation profile from batch 1 to batchMaxSize, tuned for the full batch: the batcher sends every size in
 * that range, and a batch outside the engine's profile makes TensorRT build a new engine (minutes on a Jetson).
 */
export function batchProfile(ctx: ProviderContext): { min: string; opt: string; max: string } {
  const shape = (n: number) => `${ctx.inputName}:${n}x${ctx.height}x${ctx.width}x3`;
  return { min: shape(1), opt: shape(ctx.batchMaxSize), max: shape(ctx.batchMaxSize) };
}

export function tensorrtEntry(ctx: ProviderContext): TensorrtProviderEntry {
  const t = ctx.tensorrt;
  const profile = batchProfile(ctx);
  return {
    name: 'tensorrt',
    trt_fp16_enable: flag(t.fp16),
    trt_engine_cache_enable: flag(t.engineCache),
    ...(t.engineCache ? { trt_engine_cache_path: ctx.engineCacheDir } : {}),
    trt_timing_cache_enable: flag(t.timingCache),
    ...(t.timingCache ? { trt_timing_cache_path: ctx.engineCacheDir } : {}),
    ...(t.workspaceMb === undefined ? {} : { trt_max_workspace_size: String(t.workspaceMb * 1024 * 1024) }),
    ...(t.builderOptimizationLevel === undefined ? {} : { trt_builder_optimization_level: String(t.builderOptimizationLevel) }),
    trt_profile_min_shapes: profile.min,
    trt_profile_opt_shapes: profile.opt,
    trt_profile_max_shapes: profile.max,
  };
}

/** The `executionProviders` entry for one provider: CPU and CUDA take no settings from the config. */
export function providerEntry(provider: ProviderName, ctx: ProviderContext): InferenceSession.ExecutionProviderConfig {
  if (provider === 'tensorrt') return tensorrtEntry(ctx) as unknown as InferenceSession.ExecutionProviderConfig;
  return provider;
}

/**
 * The settings a binding that passes only `device_id` would drop, as config field names. TensorRT's own defaults
 * (FP32, no caches, default workspace and level) are all it can deliver.
 */
export function tensorrtUndeliverable(t: TensorrtSettings): string[] {
  return [
    ...(t.fp16 ? ['model.tensorrt.fp16'] : []),
    ...(t.engineCache ? ['model.tensorrt.engineCache'] : []),
    ...(t.timingCache ? ['model.tensorrt.timingCache'] : []),
    ...(t.workspaceMb !== undefined ? ['model.tensorrt.workspaceMb'] : []),
    ...(t.builderOptimizationLevel !== undefined ? ['model.tensorrt.builderOptimizationLevel'] : []),
  ];
}

/** How the log line and the status name the provider: `tensorrt (fp16, cached engine)`. */
export function describeProvider(provider: ProviderName, t: TensorrtSettings, engine: 'cached' | 'built' | 'uncached'): string {
  if (provider !== 'tensorrt') return provider;
  const precision = t.fp16 ? 'fp16' : 'fp32';
  const how = engine === 'cached' ? 'cached engine' : engine === 'built' ? 'engine built now' : 'engine not cached';
  return `tensorrt (${precision}, ${how})`;
}

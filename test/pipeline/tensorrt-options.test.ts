import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { describeProvider, providerEntry, tensorrtEntry, tensorrtUndeliverable, type ProviderContext } from '../../src/pipeline/tensorrt-options.js';

const camera = { id: 'c1', line: 'l1', product: 'p', source: 'test:' };

function context(tensorrt: Record<string, unknown> | undefined, batchMaxSize = 8): ProviderContext {
  const cfg = parseConfig({ cameras: [camera], model: { path: '/m.onnx', batchMaxSize, ...(tensorrt ? { tensorrt } : {}) }, stateDir: '/var/lib/u' });
  return { tensorrt: cfg.model.tensorrt, engineCacheDir: '/var/lib/u/engine-cache', inputName: 'image', height: 224, width: 224, batchMaxSize: cfg.model.batchMaxSize };
}

describe('provider options from the config', () => {
  it('gives TensorRT FP16, both caches under engine-cache/ and a 1..batchMaxSize profile by default', () => {
    expect(tensorrtEntry(context(undefined))).toEqual({
      name: 'tensorrt',
      trt_fp16_enable: '1',
      trt_engine_cache_enable: '1',
      trt_engine_cache_path: '/var/lib/u/engine-cache',
      trt_timing_cache_enable: '1',
      trt_timing_cache_path: '/var/lib/u/engine-cache',
      trt_profile_min_shapes: 'image:1x224x224x3',
      trt_profile_opt_shapes: 'image:8x224x224x3',
      trt_profile_max_shapes: 'image:8x224x224x3',
    });
  });

  it('passes the workspace in bytes and the builder level, and leaves out the cache paths of disabled caches', () => {
    const entry = tensorrtEntry(context({ fp16: false, engineCache: false, timingCache: false, workspaceMb: 2048, builderOptimizationLevel: 1 }, 4));
    expect(entry).toMatchObject({ trt_fp16_enable: '0', trt_engine_cache_enable: '0', trt_timing_cache_enable: '0', trt_max_workspace_size: String(2 * 1024 ** 3), trt_builder_optimization_level: '1', trt_profile_max_shapes: 'image:4x224x224x3' });
    expect(entry).not.toHaveProperty('trt_engine_cache_path');
    expect(entry).not.toHaveProperty('trt_timing_cache_path');
  });

  it('every TensorRT value is a string, as the patched binding and the C API take them', () => {
    expect(Object.values(tensorrtEntry(context({ workspaceMb: 512, builderOptimizationLevel: 5 }))).every((v) => typeof v === 'string')).toBe(true);
  });

  it('gives CPU and CUDA no settings', () => {
    expect(providerEntry('cpu', context(undefined))).toBe('cpu');
    expect(providerEntry('cuda', context(undefined))).toBe('cuda');
    expect(providerEntry('tensorrt', context(undefined))).toMatchObject({ name: 'tensorrt' });
  });

  it('refuses an out-of-range builder level and an unknown TensorRT key in the config check', () => {
    expect(() => context({ builderOptimizationLevel: 6 })).toThrow(/model\.tensorrt\.builderOptimizationLevel/);
    expect(() => context({ int8: true })).toThrow(/unknown key "int8"/);
  });

  it('names every setting a binding that passes only device_id would drop', () => {
    expect(tensorrtUndeliverable(context(undefined).tensorrt)).toEqual(['model.tensorrt.fp16', 'model.tensorrt.engineCache', 'model.tensorrt.timingCache']);
    expect(tensorrtUndeliverable(context({ fp16: false, engineCache: false, timingCache: false }).tensorrt)).toEqual([]);
    expect(tensorrtUndeliverable(context({ fp16: false, engineCache: false, timingCache: false, workspaceMb: 1 }).tensorrt)).toEqual(['model.tensorrt.workspaceMb']);
  });

  it('describes the provider as the log and the status show it', () => {
    const t = context(undefined).tensorrt;
    expect(describeProvider('tensorrt', t, 'cached')).toBe('tensorrt (fp16, cached engine)');
    expect(describeProvider('tensorrt', { ...t, fp16: false }, 'built')).toBe('tensorrt (fp32, engine built now)');
    expect(describeProvider('cpu', t, 'uncached')).toBe('cpu');
  });
});

describe('camera decoder in the config', () => {
  it('defaults to auto and takes software or nvmm', () => {
    expect(parseConfig({ cameras: [camera], model: { path: '/m.onnx' } }).cameras[0]!.decoder).toBe('auto');
    expect(parseConfig({ cameras: [{ ...camera, decoder: 'nvmm' }], model: { path: '/m.onnx' } }).cameras[0]!.decoder).toBe('nvmm');
    expect(() => parseConfig({ cameras: [{ ...camera, decoder: 'gpu' }], model: { path: '/m.onnx' } })).toThrow(/"gpu" is not one of "auto", "software", "nvmm"/);
  });
});

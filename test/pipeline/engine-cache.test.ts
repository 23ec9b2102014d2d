import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearEngineCache, engineCacheState, fileSha256, manifestName, staleReasons, writeEngineManifest, type EngineIdentity } from '../../src/pipeline/engine-cache.js';

const built: EngineIdentity = {
  model: 'a'.repeat(64),
  onnxruntime: '1.22.0',
  tensorrt: '10.3.0',
  gpu: 'NVIDIA Jetson Orin NX',
  precision: 'fp16',
  profile: 'image:1x224x224x3..image:8x224x224x3',
};

function cacheWithEngine(identity?: EngineIdentity): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-cache-'));
  writeFileSync(join(dir, 'TensorrtExecutionProvider_TRTKernel_graph_main_123_0_0_fp16_sm87.engine'), 'engine bytes');
  if (identity) writeEngineManifest(dir, identity);
  return dir;
}

describe('engine cache staleness', () => {
  it('is valid when everything that built the engine is unchanged', () => {
    expect(engineCacheState(cacheWithEngine(built), built)).toEqual({ state: 'valid' });
  });

  it.each([
    ['model file', { model: 'b'.repeat(64) }, 'model file sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb'],
    ['onnxruntime', { onnxruntime: '1.22.1' }, 'onnxruntime version 1.22.0 → 1.22.1'],
    ['TensorRT', { tensorrt: '10.7.0' }, 'TensorRT version 10.3.0 → 10.7.0'],
    ['GPU', { gpu: 'NVIDIA Jetson AGX Orin' }, 'GPU NVIDIA Jetson Orin NX → NVIDIA Jetson AGX Orin'],
    ['precision', { precision: 'fp32' as const }, 'precision fp16 → fp32'],
    ['batch profile', { profile: 'image:1x224x224x3..image:16x224x224x3' }, 'batch profile image:1x224x224x3..image:8x224x224x3 → image:1x224x224x3..image:16x224x224x3'],
  ])('is stale when the %s changed, and says from what to what', (_what, change, reason) => {
    expect(engineCacheState(cacheWithEngine(built), { ...built, ...change })).toEqual({ state: 'stale', reasons: [reason] });
  });

  it('is stale when engines lie there without a manifest, absent when the folder is empty or missing', () => {
    expect(engineCacheState(cacheWithEngine(), built)).toEqual({ state: 'stale', reasons: ['no manifest says what built these engines'] });
    expect(engineCacheState(mkdtempSync(join(tmpdir(), 'engine-cache-')), built)).toEqual({ state: 'absent' });
    expect(engineCacheState(join(tmpdir(), 'no-such-engine-cache-dir'), built)).toEqual({ state: 'absent' });
  });

  it('lists several changes at once', () => {
    expect(staleReasons(built, { ...built, tensorrt: '10.7.0', precision: 'fp32' })).toHaveLength(2);
  });

  it('clears a stale cache completely, manifest included', () => {
    const dir = cacheWithEngine(built);
    clearEngineCache(dir);
    expect(readdirSync(dir)).toEqual([]);
    writeEngineManifest(dir, built);
    expect(readdirSync(dir)).toEqual([manifestName]);
  });

  it('hashes the model file with sha256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-cache-'));
    writeFileSync(join(dir, 'm.onnx'), 'abc');
    expect(await fileSha256(join(dir, 'm.onnx'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

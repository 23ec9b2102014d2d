import { InferenceSession } from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loggerFrom } from '../../src/log.js';
import { packageRoot } from '../../src/package-root.js';
import { manifestName, type EngineIdentity } from '../../src/pipeline/engine-cache.js';
import { readBinding } from '../../src/platform/onnxruntime-binding.js';
import { createSession, type SessionFactory } from '../../src/pipeline/providers.js';
import type { ProviderName } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const logger = loggerFrom((level, msg, fields) => void lines.push({ level, msg, ...(fields ? { fields } : {}) }));
  return { logger, lines };
}

/**
 * GPU providers cannot run on this machine (no GPU, CPU build of onnxruntime-node), so the factory stands in for
 * them: each "GPU" attempt fails the way a missing provider library does. CPU attempts load the REAL session.
 */
function gpuLessFactory(attempts: string[][]): SessionFactory {
  return async (path, options) => {
    const providers = (options.executionProviders ?? []).map(String);
    attempts.push(providers);
    if (providers.some((p) => p !== 'cpu')) throw new Error(`OrtSessionOptionsAppendExecutionProvider_${providers[0]}: Failed to load shared library`);
    return InferenceSession.create(path, options);
  };
}

describe('execution providers', () => {
  it('tries tensorrt, then cuda, then cpu, one at a time, and ends on a real CPU session', async () => {
    const attempts: string[][] = [];
    const { logger, lines } = recordingLogger();
    const choice = await createSession(tinyModels.ok, ['tensorrt', 'cuda', 'cpu'], { threads: 1, logger, factory: gpuLessFactory(attempts) });
    expect(attempts).toEqual([['tensorrt'], ['cuda'], ['cpu']]);
    expect(choice.provider).toBe('cpu');
    expect(choice.failures.map((f) => f.provider)).toEqual(['tensorrt', 'cuda']);
    expect(choice.failures[0]!.error).toContain('Failed to load shared library');
    expect(choice.session.inputNames).toEqual(['image']);
    // Quiet fallback: one line naming the provider taken and what was tried before it.
    expect(lines).toEqual([
      {
        level: 'info',
        msg: 'execution provider: cpu',
        fields: { provider: 'cpu', model: tinyModels.ok, tried: [expect.stringMatching(/^tensorrt: .*Failed to load shared library/), expect.stringMatching(/^cuda: .*Failed to load shared library/)] },
      },
    ]);
    await choice.session.release();
  });

  it('stops at the first provider that loads', async () => {
    const attempts: string[][] = [];
    const choice = await createSession(tinyModels.ok, ['cpu', 'cuda'], { threads: 1, logger: recordingLogger().logger, factory: gpuLessFactory(attempts) });
    expect(attempts).toEqual([['cpu']]);
    expect(choice.failures).toEqual([]);
    await choice.session.release();
  });

  it('says no provider could load the model, naming each and why, when cpu is not configured', async () => {
    const run = createSession(tinyModels.ok, ['tensorrt', 'cuda'], { threads: 1, logger: recordingLogger().logger, factory: gpuLessFactory([]) });
    await expect(run).rejects.toMatchObject({ code: 'PROVIDERS' });
    await expect(run).rejects.toThrow(/tensorrt: .*Failed to load shared library; cuda: .*add "cpu" to model.providers/);
  });

  it('blames the model file, not the providers, when even cpu cannot load it', async () => {
    const run = createSession(tinyModels.notOnnx, ['cuda', 'cpu'], { threads: 1, logger: recordingLogger().logger, factory: gpuLessFactory([]) });
    await expect(run).rejects.toMatchObject({ code: 'MODEL_NOT_ONNX' });
    await expect(run).rejects.toThrow(/is not a loadable ONNX model: .*Protobuf parsing failed/);
  });

  it('falls back for real with the default factory when a GPU provider library is missing', async () => {
    // No stand-in: on this CPU build cuda really fails to load. On a GPU machine cuda is taken, which is right too.
    const providers: ProviderName[] = ['cuda', 'cpu'];
    const choice = await createSession(tinyModels.ok, providers, { threads: 1, logger: recordingLogger().logger });
    expect(providers).toContain(choice.provider);
    if (choice.provider === 'cpu') expect(choice.failures).toEqual([{ provider: 'cuda', error: expect.stringContaining('Failed to load shared library') }]);
    await choice.session.release();
  });
});

describe('quiet provider fallback', () => {
  it('skips a provider the installed binding does not carry, without asking onnxruntime', async () => {
    const attempts: string[][] = [];
    const { logger, lines } = recordingLogger();
    const binding = readBinding(join(packageRoot, 'node_modules'));
    const choice = await createSession(tinyModels.ok, ['tensorrt', 'cuda', 'cpu'], { threads: 1, logger, binding: { ...binding, providers: ['cpu'] }, factory: gpuLessFactory(attempts) });
    expect(attempts).toEqual([['cpu']]);
    expect(lines.map((l) => l.msg)).toEqual(['execution provider: cpu']);
    expect(lines[0]!.fields?.['tried']).toEqual(['tensorrt: not compiled into the installed onnxruntime-node', 'cuda: not compiled into the installed onnxruntime-node']);
    await choice.session.release();
  });

  it('onnxruntime prints its own error lines for a provider it cannot load unless its log level is fatal, as the worker sets it', () => {
    const run = (level: string) => spawnSync(process.execPath, ['--import', 'tsx', join(packageRoot, 'test/support/ort-log-level.ts'), level, tinyModels.ok], { encoding: 'utf8', timeout: 60_000 });
    const loud = run('warning');
    expect(loud.stdout).toMatch(/^caught: /);
    expect(loud.stderr).toMatch(/\[E:onnxruntime/);
    const quiet = run('fatal');
    expect(quiet.stdout).toMatch(/^caught: /);
    expect(quiet.stderr).not.toMatch(/onnxruntime/);
  }, 60_000);
});

/**
 * TensorRT stood in for: the factory accepts a `tensorrt` entry (this machine has no GPU) and records the options
 * the session would have been given; the session it returns is a real CPU one.
 */
function tensorrtStandIn(seen: InferenceSession.SessionOptions[]): SessionFactory {
  return async (path, options) => {
    seen.push(options);
    return InferenceSession.create(path, { executionProviders: ['cpu'] });
  };
}

describe('TensorRT through createSession (stand-in GPU)', () => {
  const patched = { providers: ['cpu', 'cuda', 'tensorrt'] as ProviderName[], build: { onnxruntime: '1.22.0', jetpack: '6.2', l4t: '36.4.3', cuda: '12.6', cudnn: '9.3', tensorrt: '10.3', tensorrtOptions: true } };
  const context = (engineCacheDir: string) => ({ tensorrt: { fp16: true, engineCache: true, timingCache: true }, engineCacheDir, inputName: 'image', height: 32, width: 32, batchMaxSize: 4 });
  const identity: EngineIdentity = { model: 'f'.repeat(64), onnxruntime: '1.22.0', tensorrt: '10.3.0', gpu: 'NVIDIA Jetson Orin NX', precision: 'fp16', profile: 'image:1x32x32x3..image:4x32x32x3' };

  it('passes the options from the config, builds once, then takes the cached engine; a stale cache is emptied and built again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-cache-'));
    const seen: InferenceSession.SessionOptions[] = [];
    const open = async (id: EngineIdentity) => {
      const { logger, lines } = recordingLogger();
      const choice = await createSession(tinyModels.ok, ['tensorrt', 'cpu'], { threads: 1, logger, binding: patched, context: context(dir), engineIdentity: async () => id, factory: tensorrtStandIn(seen) });
      await choice.session.release();
      return { description: choice.description, lines: lines.map((l) => `${l.level} ${l.msg}`) };
    };
    const first = await open(identity);
    expect(first.description).toBe('tensorrt (fp16, engine built now)');
    expect(first.lines).toEqual([expect.stringMatching(/^info building the TensorRT engine/), 'info execution provider: tensorrt (fp16, engine built now)']);
    expect(seen[0]!.executionProviders).toEqual([expect.objectContaining({ name: 'tensorrt', trt_fp16_enable: '1', trt_engine_cache_path: dir, trt_profile_max_shapes: 'image:4x32x32x3' })]);
    writeFileSync(join(dir, 'TensorrtExecutionProvider_TRTKernel_graph_1_0_0_fp16_sm87.engine'), 'built by the stand-in');
    expect((await open(identity)).description).toBe('tensorrt (fp16, cached engine)');
    const stale = await open({ ...identity, tensorrt: '10.7.0' });
    expect(stale.description).toBe('tensorrt (fp16, engine built now)');
    expect(stale.lines[0]).toBe('warn TensorRT engine cache is stale; building the engine again');
    expect(readdirSync(dir)).toEqual([manifestName]);
  });

  it('refuses TensorRT settings that a binding without the options patch would drop', async () => {
    const stock = { providers: ['cpu', 'cuda', 'tensorrt'] as ProviderName[] };
    const run = createSession(tinyModels.ok, ['tensorrt', 'cpu'], { threads: 1, logger: recordingLogger().logger, binding: stock, context: context(tmpdir()), factory: tensorrtStandIn([]) });
    await expect(run).rejects.toMatchObject({ code: 'TENSORRT_SETTINGS' });
    await expect(run).rejects.toThrow('model.tensorrt: model.tensorrt.fp16, model.tensorrt.engineCache, model.tensorrt.timingCache cannot reach TensorRT: the installed onnxruntime-node passes only device_id to TensorRT');
    const defaults = { ...context(tmpdir()), tensorrt: { fp16: false, engineCache: false, timingCache: false } };
    const choice = await createSession(tinyModels.ok, ['tensorrt', 'cpu'], { threads: 1, logger: recordingLogger().logger, binding: stock, context: defaults, factory: tensorrtStandIn([]) });
    expect(choice.description).toBe('tensorrt (fp32, engine not cached)');
    await choice.session.release();
  });
});

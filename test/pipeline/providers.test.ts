import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loggerFrom } from '../../src/log.js';
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
    expect(lines.map((l) => [l.level, l.fields?.['provider']])).toEqual([
      ['warn', 'tensorrt'],
      ['warn', 'cuda'],
      ['info', 'cpu'],
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

import { InferenceSession } from 'onnxruntime-node';
import { uniadError } from '../errors.js';
import type { BindingInfo } from '../platform/onnxruntime-binding.js';
import type { Logger, ProviderName } from '../types.js';
import { clearEngineCache, engineCacheState, writeEngineManifest, type EngineIdentity } from './engine-cache.js';
import { sessionOptions, type SessionTuning } from './session-options.js';
import { describeProvider, providerEntry, tensorrtUndeliverable, type ProviderContext } from './tensorrt-options.js';

/** Creates a session; injectable so a test can stand in for GPU providers, which cannot load on a machine without GPU. */
export type SessionFactory = (modelPath: string, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

export interface ProviderFailure {
  readonly provider: ProviderName;
  readonly error: string;
}

export interface ProviderChoice {
  readonly session: InferenceSession;
  readonly provider: ProviderName;
  /** The provider as the log and the status name it: `tensorrt (fp16, cached engine)`, `cpu`. */
  readonly description: string;
  /** Providers tried before the one taken, and why each failed. */
  readonly failures: readonly ProviderFailure[];
}

export interface CreateSessionOptions extends SessionTuning {
  readonly logger: Logger;
  readonly factory?: SessionFactory;
  /** What the installed onnxruntime-node carries. Absent: every provider is attempted (a stand-in factory decides). */
  readonly binding?: Pick<BindingInfo, 'providers' | 'build'>;
  /** TensorRT settings and where engines go. Absent: TensorRT with its own defaults. */
  readonly context?: ProviderContext;
  /** What an engine built now would depend on; undefined when that cannot be known (no TensorRT here). */
  readonly engineIdentity?: () => Promise<EngineIdentity | undefined>;
}

const realFactory: SessionFactory = (path, options) => InferenceSession.create(path, options);

const nothingForTensorrt = { fp16: false, engineCache: false, timingCache: false } as const;

/**
 * Loads the model with the first execution provider that works, trying them ONE AT A TIME in the given order:
 * onnxruntime-node does not fall back by itself (a missing provider library makes `create` throw), and with a single
 * provider per attempt we know which one runs the model. A provider not compiled into the installed binding is
 * skipped without asking onnxruntime (which would print its own error lines first); the one line logged at the end
 * names the provider taken and what was tried before it.
 *
 * TensorRT settings that the binding cannot pass (a binding without the Jetson build's options patch) are refused,
 * not dropped: the engine would be built in FP32 at every start while the config says otherwise.
 */
export async function createSession(modelPath: string, providers: readonly ProviderName[], options: CreateSessionOptions): Promise<ProviderChoice> {
  const { logger, factory = realFactory, binding, context, engineIdentity } = options;
  const failures: ProviderFailure[] = [];
  for (const provider of providers) {
    if (binding !== undefined && !binding.providers.includes(provider)) {
      failures.push({ provider, error: 'not compiled into the installed onnxruntime-node' });
      continue;
    }
    const tensorrt = context?.tensorrt ?? nothingForTensorrt;
    if (provider === 'tensorrt' && binding !== undefined && binding.build?.tensorrtOptions !== true) {
      const dropped = tensorrtUndeliverable(tensorrt);
      if (dropped.length > 0) throw uniadError('TENSORRT_SETTINGS', dropped.join(', '), 'the installed onnxruntime-node passes only device_id to TensorRT');
    }
    const cache = provider === 'tensorrt' && context !== undefined && tensorrt.engineCache ? await prepareEngineCache(context.engineCacheDir, engineIdentity, logger) : undefined;
    let session: InferenceSession;
    try {
      const tuned = sessionOptions(provider, options);
      session = await factory(modelPath, context ? { ...tuned, executionProviders: [providerEntry(provider, context)] } : tuned);
    } catch (err) {
      failures.push({ provider, error: (err as Error).message.split('\n')[0] ?? String(err) });
      continue;
    }
    if (cache?.identity !== undefined && cache.state !== 'cached') writeEngineManifest(context!.engineCacheDir, cache.identity);
    const description = describeProvider(provider, tensorrt, cache?.state ?? 'uncached');
    logger.info(`execution provider: ${description}`, { provider, model: modelPath, tried: failures.map((f) => `${f.provider}: ${f.error}`) });
    return { session, provider, description, failures };
  }
  // The CPU provider is compiled into every onnxruntime build: when it fails, the model file is at fault, not the
  // machine, and the user needs to hear that rather than "no provider".
  const cpu = failures.find((f) => f.provider === 'cpu');
  if (cpu !== undefined) throw uniadError('MODEL_NOT_ONNX', modelPath, cpu.error);
  throw uniadError('PROVIDERS', failures.map((f) => `${f.provider}: ${f.error}`).join('; '));
}

/** Empties a stale cache before TensorRT sees it; says whether the engine will come from the cache or be built now. */
async function prepareEngineCache(dir: string, identityOf: (() => Promise<EngineIdentity | undefined>) | undefined, logger: Logger) {
  const identity = await identityOf?.();
  if (identity === undefined) return { state: 'built' as const };
  const found = engineCacheState(dir, identity);
  if (found.state === 'valid') return { state: 'cached' as const, identity };
  if (found.state === 'stale') {
    logger.warn('TensorRT engine cache is stale; building the engine again', { dir, reasons: found.reasons });
    clearEngineCache(dir);
  }
  logger.info('building the TensorRT engine (minutes on a Jetson; uniad-edge check does it ahead of a shift)', { dir, precision: identity.precision, profile: identity.profile });
  return { state: 'built' as const, identity };
}

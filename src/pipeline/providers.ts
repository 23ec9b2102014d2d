import { InferenceSession } from 'onnxruntime-node';
import { uniadError } from '../errors.js';
import type { Logger, ProviderName } from '../types.js';
import { sessionOptions, type SessionTuning } from './session-options.js';

/** Creates a session; injectable so a test can stand in for GPU providers, which cannot load on a machine without GPU. */
export type SessionFactory = (modelPath: string, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

export interface ProviderFailure {
  readonly provider: ProviderName;
  readonly error: string;
}

export interface ProviderChoice {
  readonly session: InferenceSession;
  readonly provider: ProviderName;
  /** Providers tried before the one taken, and why each failed. */
  readonly failures: readonly ProviderFailure[];
}

export interface CreateSessionOptions extends SessionTuning {
  readonly logger: Logger;
  readonly factory?: SessionFactory;
}

const realFactory: SessionFactory = (path, options) => InferenceSession.create(path, options);

/**
 * Loads the model with the first execution provider that works, trying them ONE AT A TIME in the given order:
 * onnxruntime-node does not fall back by itself (a missing provider library makes `create` throw), and with a single
 * provider per attempt we know, and log, which one runs the model.
 */
export async function createSession(modelPath: string, providers: readonly ProviderName[], options: CreateSessionOptions): Promise<ProviderChoice> {
  const { logger, factory = realFactory } = options;
  const failures: ProviderFailure[] = [];
  for (const provider of providers) {
    try {
      const session = await factory(modelPath, sessionOptions(provider, options));
      logger.info('execution provider taken', { provider, model: modelPath, failed: failures });
      return { session, provider, failures };
    } catch (err) {
      const error = (err as Error).message.split('\n')[0] ?? String(err);
      failures.push({ provider, error });
      logger.warn('execution provider failed, trying the next', { provider, model: modelPath, error });
    }
  }
  // The CPU provider is compiled into every onnxruntime build: when it fails, the model file is at fault, not the
  // machine, and the user needs to hear that rather than "no provider".
  const cpu = failures.find((f) => f.provider === 'cpu');
  if (cpu !== undefined) throw uniadError('MODEL_NOT_ONNX', modelPath, cpu.error);
  throw uniadError('PROVIDERS', failures.map((f) => `${f.provider}: ${f.error}`).join('; '));
}

import { statSync } from 'node:fs';
import type { ModelConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { sidecarPathFor } from '../pipeline/sidecar.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { NonFiniteWatch } from '../pipeline/non-finite-watch.js';
import { EngineSupervisor } from '../pipeline/supervisor.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { Logger } from '../types.js';

/**
 * Opens the configured model in a new inference worker; called once at start and again for every replacement.
 * `warmAllBatches` (uniad-edge check) runs every batch size once, so TensorRT has nothing left to build later.
 */
export const modelOpener = (model: ModelConfig, logger: Logger, engineCacheDir: string, warmAllBatches = false) => () =>
  InferenceEngine.open({
    modelPath: model.path,
    providers: model.providers,
    threads: model.threads,
    spinning: model.threadSpinning,
    logger,
    session: { tensorrt: model.tensorrt, engineCacheDir, batchMaxSize: model.batchMaxSize, warmAllBatches },
  });

/**
 * From here a worker that dies or hangs is replaced; repeated failure is a cause of `degraded` on the status topic.
 */
export function superviseModel(engine: InferenceEngine, open: () => Promise<InferenceEngine>, model: ModelConfig, causes: StatusCauses, logger: Logger): EngineSupervisor {
  return new EngineSupervisor(engine, {
    open,
    logger,
    runTimeoutMs: model.runTimeoutMs,
    onHealth: (h) => (h.state === 'healthy' ? causes.clear('INFERENCE_FAILING') : causes.set(uniadError('INFERENCE_FAILING', String(h.failures), h.reason))),
  });
}

/** Output that is not a finite number, per camera: logged, counted, and a cause of `degraded` while it persists. */
export function watchModelOutput(model: ModelConfig, modelId: () => string, causes: StatusCauses, logger: Logger): NonFiniteWatch {
  return new NonFiniteWatch({ modelId, failSafe: model.failSafe, logger, onCause: (cause) => (cause ? causes.set(cause) : causes.clear('NON_FINITE_OUTPUT')) });
}

/** Path, size and modification time of the model and its sidecar: a reload swaps the model when this changes. */
export function modelFingerprint(path: string): string {
  const stamp = (p: string) => {
    try {
      const st = statSync(p);
      return [st.size, st.mtimeMs];
    } catch {
      return null;
    }
  };
  return JSON.stringify([path, stamp(path), stamp(sidecarPathFor(path))]);
}

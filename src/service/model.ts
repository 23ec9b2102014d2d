import { statSync } from 'node:fs';
import type { Config, ModelConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { dryRun } from '../pipeline/dry-run.js';
import { sidecarPathFor } from '../pipeline/sidecar.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { NonFiniteWatch } from '../pipeline/non-finite-watch.js';
import { EngineSupervisor } from '../pipeline/supervisor.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import { statePaths } from '../state-dir.js';
import { extendWhile } from '../systemd/notify.js';
import type { Logger, ModelSidecar, ProviderName } from '../types.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';
import { warnUncalibratedProducts } from './thresholds.js';

export interface LiveModel {
  /** The model as it loaded at start: what the status, the start log and the Service API name. */
  readonly loaded: { readonly id: string; readonly provider: ProviderName; readonly description: string; readonly sidecar: ModelSidecar };
  /** What scores the frames: the loaded model, replaced when its worker dies or hangs, or when a reload swaps it. */
  readonly live: EngineSupervisor;
  /** Output that is not a finite number, per camera. */
  readonly output: NonFiniteWatch;
}

/**
 * Opens the configured model in a new inference worker; called once at start and again for every replacement.
 * `warmAllBatches` (checkedModelOpener) runs every batch size once, so TensorRT has nothing left to build later.
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
 * Opens the model as `uniad-edge check` proves it before it may score parts: the contract and a first run (as it
 * loads, pipeline/infer-worker.ts), every batch size once (nothing left for TensorRT to build during a shift), and the
 * test frames of the dry run, every output finite. A reload swaps in only a model that passes. Throws what refuses it,
 * with the engine closed.
 */
export const checkedModelOpener = (model: ModelConfig, logger: Logger, engineCacheDir: string) => async () => {
  const engine = await modelOpener(model, logger, engineCacheDir, true)();
  try {
    await dryRun(engine, model.path);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
};

/** Opens the model with `open`, says what loaded, and warns of cameras whose product has no threshold in it. */
export async function loadModel(cfg: Config, open: () => Promise<InferenceEngine>, logger: Logger): Promise<InferenceEngine> {
  const engine = await open();
  logger.info('model loaded', { model: engine.modelId, provider: engine.providerDescription, input: engine.sidecar.input, classes: engine.sidecar.classes });
  warnUncalibratedProducts(cfg.cameras, engine.sidecar, logger);
  return engine;
}

/**
 * The configured model in its inference worker, supervised from the start. systemd is asked for more start time while
 * it loads (a TensorRT engine build can outlast `TimeoutStartSec=`).
 */
export const model: Part<Pick<ServiceBase, 'cfg' | 'logger' | 'notifier' | 'causes'>, 'model', LiveModel> = {
  name: 'model',
  async start({ cfg, logger, notifier, causes }) {
    const open = modelOpener(cfg.model, logger, statePaths(cfg.stateDir).engineCache);
    const engine = await extendWhile(notifier, `loading model ${cfg.model.path}`, loadModel(cfg, open, logger));
    const live = superviseModel(engine, open, cfg.model, causes, logger);
    return {
      loaded: { id: engine.modelId, provider: engine.provider, description: engine.providerDescription, sidecar: engine.sidecar },
      live,
      output: watchModelOutput(cfg.model, () => live.modelId, causes, logger),
    };
  },
  stop: ({ live }) => live.close(),
};

/**
 * From here a worker that dies or hangs is replaced; repeated failure is a cause of `degraded` on the status topic.
 */
function superviseModel(engine: InferenceEngine, open: () => Promise<InferenceEngine>, model: ModelConfig, causes: StatusCauses, logger: Logger): EngineSupervisor {
  return new EngineSupervisor(engine, {
    open,
    logger,
    runTimeoutMs: model.runTimeoutMs,
    onHealth: (h) => (h.state === 'healthy' ? causes.clear('INFERENCE_FAILING') : causes.set(uniadError('INFERENCE_FAILING', String(h.failures), h.reason))),
  });
}

/** Output that is not a finite number, per camera: logged, counted, and a cause of `degraded` while it persists. */
function watchModelOutput(model: ModelConfig, modelId: () => string, causes: StatusCauses, logger: Logger): NonFiniteWatch {
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

import type { ModelConfig } from '../config.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { EngineSupervisor } from '../pipeline/supervisor.js';
import type { MqttSink } from '../sinks/mqtt.js';
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
    logger,
    session: { tensorrt: model.tensorrt, engineCacheDir, batchMaxSize: model.batchMaxSize, warmAllBatches },
  });

/**
 * From here a worker that dies or hangs is replaced; repeated failure shows as `degraded` on the status topic.
 */
export function superviseModel(engine: InferenceEngine, open: () => Promise<InferenceEngine>, model: ModelConfig, sink: MqttSink, logger: Logger): EngineSupervisor {
  return new EngineSupervisor(engine, {
    open,
    logger,
    runTimeoutMs: model.runTimeoutMs,
    onHealth: (h) => sink.setHealth(h.state === 'healthy' ? { state: 'online' } : { state: 'degraded', reason: h.reason }),
  });
}

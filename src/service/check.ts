import type { Config } from '../config.js';
import { dryRun } from '../pipeline/dry-run.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';
import { capacity, capacityWarning } from './capacity.js';
import { LineControl } from './line-control.js';
import { loadModel, modelOpener } from './model.js';
import { activeModelConfig } from './registry.js';

/** What `uniad-edge check` found good. */
export interface CheckedService {
  readonly modelId: string;
  readonly provider: string;
}

/**
 * `uniad-edge check`: the config's warnings, the model loaded (every batch size run once, so TensorRT has nothing
 * left to build later) and run on test frames (pipeline/dry-run.ts), timed to say whether the box can carry the
 * cameras (capacity.ts), and the line control built as `run` would build it (thresholds files, products, restored
 * live thresholds and recipes); then the model is closed. Nothing else starts: no broker, no camera.
 * Throws what `run` would refuse to start with.
 */
export async function checkService(given: Config, logger: Logger): Promise<CheckedService> {
  // the model `run` would start with: the registry's active version, once one was promoted
  const cfg = activeModelConfig(given);
  for (const w of cfg.warnings) logger.warn(`config: ${w.field}: ${w.message}`);
  const engine = await loadModel(cfg, modelOpener(cfg.model, logger, statePaths(cfg.stateDir).engineCache, true), logger);
  try {
    // built for what building it checks; nothing is published
    new LineControl({ cfg, publishRetained: () => undefined, model: () => ({ id: engine.modelId, sidecar: engine.sidecar }), logger });
    const { framesPerSecond } = await dryRun(engine, cfg.model.path);
    const load = capacity(cfg.cameras, framesPerSecond);
    const over = capacityWarning(load);
    if (over === undefined) logger.info('the box can carry the cameras', { framesPerSecondNeeded: load.needed, framesPerSecondScored: Math.round(load.measured) });
    else logger.warn(over, { cameras: cfg.cameras.length, framesPerSecondNeeded: load.needed, framesPerSecondScored: Math.round(load.measured) });
    return { modelId: engine.modelId, provider: engine.providerDescription };
  } finally {
    await engine.close();
  }
}

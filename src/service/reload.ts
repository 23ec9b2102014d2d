import type { Config } from '../config.js';
import type { EngineSupervisor } from '../pipeline/supervisor.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';
import type { LineControl } from './line-control.js';
import { modelFingerprint, modelOpener } from './model.js';

export interface ReloadParts {
  readonly live: EngineSupervisor;
  readonly control: LineControl;
  readonly logger: Logger;
  /** True once the service is stopping: a reload then does nothing. */
  readonly stopping: () => boolean;
}

/**
 * Applies a reloaded config (SIGHUP), one reload at a time, all or nothing: the line settings are checked first, the
 * model is swapped only when its files changed, and if the new model does not load the old model and settings stay.
 * Resolves to whether it applied.
 */
export function configReloader(modelPath: string, parts: ReloadParts): (next: Config) => Promise<boolean> {
  const { live, control, logger } = parts;
  let modelFiles = modelFingerprint(modelPath);
  let reloading: Promise<boolean> = Promise.resolve(true);
  return (next) =>
    (reloading = reloading.then(async () => {
      if (parts.stopping()) return false;
      const apply = control.prepareReload(next);
      if (apply === undefined) return false;
      const files = modelFingerprint(next.model.path);
      if (files !== modelFiles) {
        try {
          await live.replace(modelOpener(next.model, logger, statePaths(next.stateDir).engineCache));
        } catch (err) {
          logger.error('reload refused, the old model and settings stay: the new model did not load', { model: next.model.path, error: (err as Error).message });
          return false;
        }
        modelFiles = files;
      }
      apply(live.modelId);
      return true;
    }));
}

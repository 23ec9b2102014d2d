import type { Config } from '../config.js';
import { uniadError } from '../errors.js';
import { loadSidecar } from '../pipeline/sidecar.js';
import type { EngineSupervisor } from '../pipeline/supervisor.js';
import type { ModelRef } from '../pipeline/threshold-sources.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';
import type { ServiceBase } from './base.js';
import type { Cameras } from './cameras.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import { checkedModelOpener, modelFingerprint, modelOpener, type LiveModel } from './model.js';
import { planReload } from './reload-plan.js';
import type { Shadow } from './shadow.js';
import { cameraLines } from './sink.js';

export interface ReloadParts {
  readonly live: EngineSupervisor;
  readonly control: LineControl;
  readonly cameras: Pick<Cameras, 'prepareReload'>;
  readonly shadow: Pick<Shadow, 'prepareReload'>;
  /** What the status says of the node (MqttLink.setInfo). */
  readonly setInfo?: MqttSink['link']['setInfo'];
  readonly logger: Logger;
  /** A model the reload refused stays a cause of `degraded` (MODEL_RELOAD_REFUSED) until a reload applies. */
  readonly causes: StatusCauses;
}

export interface Reloader {
  /** Applies `next`; resolves to whether it applied. */
  apply(next: Config): Promise<boolean>;
  /** The config in force: the first, then each one applied (the commands part reads `mqtt.commands` from it). */
  current(): Config;
  /** Why the last reload that did not apply was refused (what the log said). */
  lastRefusal(): string | undefined;
  /** The service is stopping: a reload from now on does nothing. */
  close(): void;
}

/**
 * Applies a reloaded config (SIGHUP), one reload at a time, all or nothing, in two steps:
 *
 *   prepare  every check, changing nothing: the config's plan (reload-plan.ts), the line settings for the model that
 *            will be live (thresholds files, products), the new cameras' decoders, the new shadow model loaded;
 *            then the model, swapped only when its files changed and only once it passed what `uniad-edge check`
 *            runs (service/model.ts `checkedModelOpener`: contract, every batch size, finite output on test frames).
 *            The swap is the last check: when the new model does not load or fails its check, what was prepared is
 *            dropped, the old model, settings, cameras and shadow stay, and the status says so until a reload applies;
 *   apply    settings, cameras and shadow, which cannot fail; `mqtt.commands` is read from `current()`.
 *
 * Every change is applied or named: what needs a restart is logged as not applied.
 */
export function configReloader(initial: Config, parts: ReloadParts): Reloader {
  const { live, control, cameras, shadow, logger, causes } = parts;
  let current = initial;
  let modelFiles = modelFingerprint(initial.model.path);
  let reloading: Promise<boolean> = Promise.resolve(true);
  let closed = false;
  let refusal: string | undefined;
  const refuse = (message: string, fields: Record<string, unknown>) => {
    refusal = `${message}: ${String(fields.error)}`;
    logger.error(message, fields);
    return false;
  };

  const reload = async (next: Config): Promise<boolean> => {
    const files = modelFingerprint(next.model.path);
    const swap = files !== modelFiles;
    const plan = planReload(current, next, swap);
    let prepared;
    try {
      const model: ModelRef = swap ? modelRefOf(next.model.path) : { id: live.modelId, sidecar: live.sidecar };
      prepared = {
        settings: control.prepareReload(next, model),
        cameras: cameras.prepareReload(next.cameras, plan.cameras),
        shadow: await shadow.prepareReload(next),
      };
    } catch (err) {
      return refuse('reload refused, old settings kept', { error: (err as Error).message });
    }
    if (closed) {
      await prepared.shadow.abandon();
      refusal = 'the service is stopping';
      return false;
    }
    if (swap) {
      const engineCache = statePaths(next.stateDir).engineCache;
      try {
        await live.replace(modelOpener(next.model, logger, engineCache), checkedModelOpener(next.model, logger, engineCache));
      } catch (err) {
        await prepared.shadow.abandon();
        causes.set(uniadError('MODEL_RELOAD_REFUSED', next.model.path, (err as Error).message));
        return refuse('reload refused, the old model and settings stay: the new model did not load or failed its check', { model: next.model.path, error: (err as Error).message });
      }
      modelFiles = files;
    }
    causes.clear('MODEL_RELOAD_REFUSED');
    prepared.settings(live.modelId);
    prepared.cameras();
    prepared.shadow.apply();
    parts.setInfo?.({ cameras: next.cameras.map((c) => c.id), lines: cameraLines(next.cameras), model: live.modelId });
    current = next;
    for (const w of next.warnings) logger.warn(`config: ${w.field}: ${w.message}`);
    const { added, removed, restarted } = plan.cameras;
    logger.info('settings reloaded', {
      thresholdsFile: next.model.thresholdsFile ?? null,
      cameras: { added: added.map((c) => c.id), removed: removed.map((c) => c.id), restarted: restarted.map((r) => `${r.camera.id} (${r.changed.join(', ')})`) },
      shadow: next.shadow?.path ?? null,
    });
    if (plan.needRestart.length > 0) logger.warn('reload: these changes need a restart and are not applied', { fields: plan.needRestart, fix: 'systemctl restart uniad-edge' });
    return true;
  };

  return {
    apply: (next) => (reloading = reloading.then(() => (closed ? false : reload(next)))),
    current: () => current,
    lastRefusal: () => refusal,
    close: () => void (closed = true),
  };
}

/** The model at `path` as its sidecar names it, to check a reloaded config against before it is swapped in. */
function modelRefOf(path: string): ModelRef {
  const sidecar = loadSidecar(path);
  return { id: `${sidecar.name}@${sidecar.version}`, sidecar };
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'causes'> & {
  readonly model: LiveModel;
  readonly sink: MqttSink;
  readonly control: LineControl;
  readonly shadow: Shadow;
  readonly cameras: Cameras;
};

/** SIGHUP's reload, on the live model, the line control, the cameras and the shadow model. */
export const reload: Part<Needs, 'reload', Reloader> = {
  name: 'reload',
  start: ({ cfg, logger, causes, model: { live }, sink, control, shadow, cameras }) =>
    configReloader(cfg, { live, control, cameras, shadow, setInfo: (info) => sink.link.setInfo(info), logger, causes }),
  stop: (reloader) => reloader.close(),
};

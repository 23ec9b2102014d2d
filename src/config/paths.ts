/**
 * Step 3 of reading the config: every path absolute, after validation. A relative path resolves against the config
 * file's folder (`baseDir`); a relative model path that is not there but is in the installation's folder (the
 * checkout or release the service runs from) names a model shipped with it, so the example's
 * `models/demo/uniad-demo.onnx` works wherever the example is copied. The state folder is the configured one or the
 * default (src/state-dir.ts), and the offline queue's folder defaults to `queue/` in it, the dataset to `dataset/`; each camera's source becomes
 * its spec, a relative file path resolved the same way (src/sources/uri.ts).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';
import { parseSourceUri } from '../sources/uri.js';
import { resolveStateDir, statePaths } from '../state-dir.js';
import type { Config, ValidConfig } from './schema.js';

/** A model path: next to the config unless only the installation has it. */
function resolveModelPath(path: string, baseDir: string): string {
  if (isAbsolute(path)) return path;
  const nextToConfig = resolve(baseDir, path);
  const shipped = resolve(packageRoot, path);
  return existsSync(nextToConfig) || !existsSync(shipped) ? nextToConfig : shipped;
}

export function resolvePaths(cfg: ValidConfig, baseDir: string): Omit<Config, 'warnings'> {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const stateDir = resolveStateDir(abs(cfg.stateDir));
  return {
    ...cfg,
    stateDir,
    dataset: abs(cfg.dataset) ?? statePaths(stateDir).dataset,
    cameras: cfg.cameras.map((cam, i) => ({ ...cam, spec: parseSourceUri(cam.source, `cameras[${i}].source`, baseDir) })),
    model: { ...cfg.model, path: resolveModelPath(cfg.model.path, baseDir), thresholdsFile: abs(cfg.model.thresholdsFile) },
    shadow: cfg.shadow && { ...cfg.shadow, path: resolveModelPath(cfg.shadow.path, baseDir), thresholdsFile: abs(cfg.shadow.thresholdsFile) },
    dashboard: { ...cfg.dashboard, tls: cfg.dashboard.tls && { cert: abs(cfg.dashboard.tls.cert)!, key: abs(cfg.dashboard.tls.key)! } },
    mqtt: {
      ...cfg.mqtt,
      ca: abs(cfg.mqtt.ca),
      cert: abs(cfg.mqtt.cert),
      key: abs(cfg.mqtt.key),
      queue: { ...cfg.mqtt.queue, dir: abs(cfg.mqtt.queue.dir) ?? statePaths(stateDir).queue },
    },
  };
}

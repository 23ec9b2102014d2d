/**
 * The operator's side of a running line: which product each camera inspects (recipe) and which threshold decides
 * (live sets over MQTT, config, thresholds file, model), changed by the command topics and by a reload (SIGHUP).
 *
 * Each frame is stamped, as it leaves its camera, with the settings in force then (line-settings.ts): a change
 * applies from the next captured frame. Every change is logged with who made it and echoed on the camera's retained
 * `threshold` topic; a refused one is logged with the reason, and the old value stays.
 */
import type { CameraConfig, Config } from '../config.js';
import { LineSettings, type CameraSetting, type SettingsSnapshot } from '../pipeline/line-settings.js';
import { loadLiveThresholds, loadRecipes, saveLiveThresholds, writeJsonAtomic } from '../pipeline/live-thresholds.js';
import type { ModelRef } from '../pipeline/threshold-sources.js';
import { loadThresholdsFile } from '../pipeline/thresholds-file.js';
import { parseCommandTopic, parseRecipe, parseThresholdSet } from '../sinks/commands.js';
import { thresholdTopic } from '../sinks/topics.js';
import { statePaths } from '../state-dir.js';
import type { Frame, Logger, ThresholdsFile } from '../types.js';

export interface LineControlOptions {
  readonly cfg: Config;
  /** Where echoes go (MqttSink satisfies it). */
  readonly publishRetained: (topic: string, payload: string) => void;
  /** The live model now. */
  readonly model: () => ModelRef;
  /** True with the embedded broker: it authenticated the sender and stamped `by`. Else `by` is only claimed. */
  readonly verifiedSender: boolean;
  readonly logger: Logger;
  readonly now?: () => number;
}

const cameraSettings = (cameras: readonly CameraConfig[]): CameraSetting[] => cameras.map((c) => ({ id: c.id, line: c.line, product: c.product, threshold: c.threshold }));

/** The thresholds file the config names, read and checked; undefined when it names none. Throws when it is invalid. */
function thresholdsFileOf(cfg: Config): ThresholdsFile | undefined {
  return cfg.model.thresholdsFile === undefined ? undefined : loadThresholdsFile(cfg.model.thresholdsFile);
}

/** Cameras as the reload can apply them: same ids, lines and sources; only product and threshold may change. */
function sameCameras(a: readonly CameraConfig[], b: readonly CameraConfig[]): boolean {
  const key = (c: CameraConfig) => JSON.stringify([c.id, c.line, c.source, c.crop ?? null, c.fps ?? null, c.loop, c.live ?? null]);
  return a.length === b.length && a.every((c, i) => key(c) === key(b[i]!));
}

export class LineControl {
  private readonly settings: LineSettings;
  private readonly stamps = new WeakMap<Frame, SettingsSnapshot>();
  private cfg: Config;
  private readonly now: () => number;

  /** Throws when the thresholds file is invalid (a start with a broken file must not run on other thresholds). */
  constructor(private readonly opts: LineControlOptions) {
    this.cfg = opts.cfg;
    this.now = opts.now ?? Date.now;
    const paths = statePaths(opts.cfg.stateDir);
    const path = paths.liveThresholds;
    const live = loadLiveThresholds(path, opts.logger);
    const persistRecipes = (recipes: ReadonlyMap<string, string>) => writeJsonAtomic(paths.recipes, { recipes: Object.fromEntries(recipes) });
    this.settings = new LineSettings(cameraSettings(opts.cfg.cameras), thresholdsFileOf(opts.cfg), live, (sets) => saveLiveThresholds(path, sets), opts.model().id, persistRecipes);
    if (live.length > 0) opts.logger.info('live thresholds restored', { path, sets: live.length });
    for (const [line, product] of loadRecipes(paths.recipes, opts.logger)) {
      const restored = this.settings.setRecipe(line, product, opts.model());
      if (restored.ok) opts.logger.info('recipe restored', { line, product, cameras: restored.cameras });
      else opts.logger.warn('recipe not restored', { line, product, why: restored.why });
    }
    this.checkFileModel();
  }

  /** The frame with the product its camera inspects now, remembered with the settings in force now. */
  stamp(frame: Frame): Frame {
    const snapshot = this.settings.current;
    const product = snapshot.productFor(frame.camera) ?? frame.product;
    const stamped = product === frame.product ? frame : { ...frame, product };
    this.stamps.set(stamped, snapshot);
    return stamped;
  }

  /** The threshold that decides `frame` under `model`, from the settings stamped on it. */
  thresholdFor(frame: Frame, model: ModelRef): number {
    return (this.stamps.get(frame) ?? this.settings.current).threshold(frame.camera, frame.product, model).threshold;
  }

  /** A message on a command topic (MqttSink.onCommands). */
  command(topic: string, payload: Buffer): void {
    const { logger } = this.opts;
    const target = parseCommandTopic(topic, this.cfg.mqtt.prefix);
    if (target === undefined) return;
    const model = this.opts.model();
    if (target.kind === 'threshold') {
      const p = parseThresholdSet(payload);
      const claimed = p.ok ? p.by : undefined;
      const who = { by: claimed ?? (this.opts.verifiedSender ? '(unknown user)' : '(not given)'), verified: this.opts.verifiedSender && claimed !== undefined };
      if (!p.ok) return this.refused('threshold change refused', { topic, why: p.why }, target.camera);
      const was = this.inForce(target.camera, model);
      let outcome;
      try {
        outcome = this.settings.setThreshold(target.line, target.camera, p.threshold, who, model, this.now());
      } catch (err) {
        return this.refused('threshold change refused', { topic, why: `it could not be kept for a restart: ${(err as Error).message} (make the state folder writable)` }, target.camera);
      }
      if (!outcome.ok) return this.refused('threshold change refused', { topic, why: outcome.why, by: who.by });
      logger.info('threshold changed', { line: target.line, camera: target.camera, product: outcome.set.product, model: model.id, threshold: p.threshold, was: was?.threshold, by: who.by, sender: who.verified ? 'authenticated by the embedded broker' : 'as claimed by the client' });
      return this.echo([target.camera]);
    }
    const p = parseRecipe(payload);
    if (!p.ok) return this.refused('recipe refused', { topic, why: p.why });
    let outcome;
    try {
      outcome = this.settings.setRecipe(target.line, p.product, model);
    } catch (err) {
      return this.refused('recipe refused', { topic, why: `it could not be kept for a restart: ${(err as Error).message} (make the state folder writable)` });
    }
    if (!outcome.ok) return this.refused('recipe refused', { topic, why: outcome.why, by: p.by });
    logger.info('recipe changed', { line: target.line, product: p.product, cameras: outcome.cameras, by: p.by ?? '(not given)', sender: this.opts.verifiedSender && p.by !== undefined ? 'authenticated by the embedded broker' : 'as claimed by the client' });
    this.echo(outcome.cameras);
  }

  /** Publishes the threshold in force of each camera (all by default) on its retained `threshold` topic. */
  echo(cameras: readonly string[] = this.cfg.cameras.map((c) => c.id)): void {
    const model = this.opts.model();
    const snapshot = this.settings.current;
    for (const id of cameras) {
      const cam = snapshot.cameras.get(id);
      if (cam === undefined) continue;
      const product = snapshot.productFor(id)!;
      const { threshold, origin } = snapshot.threshold(id, product, model);
      const set = origin === 'live' ? snapshot.liveSet(id, product, model.id) : undefined;
      const payload = { camera: id, line: cam.line, product, model: model.id, threshold, origin, ...(set ? { by: set.by, at: set.at } : {}) };
      this.opts.publishRetained(thresholdTopic(this.cfg.mqtt.prefix, cam.line, id), JSON.stringify(payload));
    }
  }

  /**
   * Checks a reloaded config (SIGHUP) and returns what applies its camera products and thresholds and its thresholds
   * file, or undefined when it cannot be applied (logged): cameras added, removed or changed, or an invalid thresholds
   * file. All or nothing, so the old values stay whole.
   */
  prepareReload(cfg: Config): ((model: string) => void) | undefined {
    const { logger } = this.opts;
    if (!sameCameras(this.cfg.cameras, cfg.cameras)) {
      logger.error('reload refused, old settings kept: cameras were added, removed or changed (id, line, source, crop, fps, loop, live); restart the service for that');
      return undefined;
    }
    let file: ThresholdsFile | undefined;
    try {
      file = thresholdsFileOf(cfg);
    } catch (err) {
      logger.error('reload refused, old settings kept', { error: (err as Error).message });
      return undefined;
    }
    // `model`: the one loaded with this config (after a swap, the new one): its camera thresholds are for it.
    return (model) => {
      this.settings.reload(cameraSettings(cfg.cameras), file, model);
      this.cfg = cfg;
      this.checkFileModel();
      logger.info('settings reloaded', { thresholdsFile: cfg.model.thresholdsFile ?? null });
      this.echo();
    };
  }

  /** A thresholds file made for another model is not used: say so (after a start, a reload or a model swap). */
  checkFileModel(): void {
    const file = this.settings.current.file;
    const model = this.opts.model();
    if (file !== undefined && file.model !== model.id) {
      this.opts.logger.warn('the thresholds file was calibrated for another model and is not used', { file: this.cfg.model.thresholdsFile, fileModel: file.model, model: model.id, fix: `run uniad-edge calibrate with the model ${model.id}` });
    }
  }

  private inForce(camera: string, model: ModelRef) {
    const snapshot = this.settings.current;
    const product = snapshot.productFor(camera);
    return product === undefined ? undefined : snapshot.threshold(camera, product, model);
  }

  private refused(msg: string, fields: Record<string, unknown>, camera?: string): void {
    this.opts.logger.warn(`${msg}; the old value stays`, fields);
    // The retained echo keeps saying what is in force.
    if (camera !== undefined && this.settings.current.cameras.has(camera)) this.echo([camera]);
  }
}

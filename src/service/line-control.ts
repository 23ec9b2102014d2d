/**
 * The operator's side of a running line: which product each camera inspects (recipe) and which threshold decides
 * (pipeline/threshold-sources.ts: live sets over MQTT, config, thresholds files, model), changed by the `threshold`
 * and `recipe` commands (answered by command-registry.ts) and by a reload (SIGHUP).
 *
 * Each frame is stamped, as it leaves its camera, with the settings in force then (line-settings.ts): a change
 * applies from the next captured frame. Every change of a camera's threshold in force, whatever caused it (a command,
 * a recipe, a reload, a model swap), is logged with its origin and the value before, and echoed on the camera's
 * retained `threshold` topic; the products in force are retained on each line's `recipe/current`.
 */
import type { CameraConfig, Config } from '../config.js';
import { uniadError } from '../errors.js';
import type { CommandTarget } from '../operator-commands.js';
import { LineSettings, type CameraSetting, type SettingsSnapshot } from '../pipeline/line-settings.js';
import { loadLiveThresholds, loadRecipes, saveLiveThresholds, writeJsonAtomic } from '../pipeline/live-thresholds.js';
import { plausibleThresholds } from '../pipeline/threshold.js';
import { configuredThreshold, type ModelRef, type ResolvedThreshold, type ThresholdOrigin } from '../pipeline/threshold-sources.js';
import { loadThresholdsFile } from '../pipeline/thresholds-file.js';
import { recipeInForceTopic, thresholdTopic } from '../sinks/topics.js';
import { statePaths } from '../state-dir.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { Frame, Logger, RegionLayout, ThresholdsFile } from '../types.js';
import type { ServiceBase } from './base.js';
import type { Answer, CommandHandler, Sender } from './command-registry.js';
import type { Part } from './lifecycle.js';
import type { LiveModel } from './model.js';

export interface LineControlOptions {
  readonly cfg: Config;
  /** Where echoes go (MqttLink.publishRetained). */
  readonly publishRetained: (topic: string, payload: string) => void;
  /** Deletes a retained echo: a camera or line a reload removed (MqttLink.clearRetained). */
  readonly clearRetained?: (topic: string) => void;
  /** The live model now. */
  readonly model: () => ModelRef;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A camera's threshold in force: for which product and model, and where it comes from. */
interface InForce {
  readonly line: string;
  readonly product: string;
  readonly model: string;
  readonly threshold: number;
  readonly origin: ThresholdOrigin;
}

const cameraSettings = (cameras: readonly CameraConfig[]): CameraSetting[] =>
  cameras.map((c) => ({
    id: c.id,
    line: c.line,
    product: c.product,
    threshold: c.threshold,
    thresholds: c.thresholds,
    ...(c.regions ? { regions: new Map(c.regions.map((r) => [r.name, { product: r.product ?? c.product, threshold: r.threshold }])) } : {}),
  }));

/** The thresholds files the config names (`model.thresholdsFile`, `shadow.thresholdsFile`), read and checked. Throws when one is invalid. */
function thresholdsFilesOf(cfg: Config): ThresholdsFile[] {
  return [cfg.model.thresholdsFile, cfg.shadow?.thresholdsFile].flatMap((path) => (path === undefined ? [] : [loadThresholdsFile(path)]));
}

/** A number as a log line or a refusal shows it: 3 significant digits. */
const round = (n: number) => Number(n.toPrecision(3));

export class LineControl {
  private readonly settings: LineSettings;
  private readonly stamps = new WeakMap<Frame, SettingsSnapshot>();
  private cfg: Config;
  private readonly now: () => number;
  /** What was last echoed, per camera: a change from it is logged and echoed. */
  private readonly echoed = new Map<string, InForce>();
  /** The recipe-in-force payload last published, per line. */
  private readonly recipesEchoed = new Map<string, string>();
  /** Who set each line's recipe, and when (this run). */
  private readonly recipeSetBy = new Map<string, { readonly by: string; readonly at: number }>();

  /**
   * Throws when a thresholds file is invalid (a start with a broken file must not run on other thresholds), or a
   * camera's product is unknown to the model (UNKNOWN_PRODUCT).
   */
  constructor(private readonly opts: LineControlOptions) {
    this.cfg = opts.cfg;
    this.now = opts.now ?? Date.now;
    const paths = statePaths(opts.cfg.stateDir);
    const path = paths.liveThresholds;
    const live = loadLiveThresholds(path, opts.logger);
    const persistRecipes = (recipes: ReadonlyMap<string, string>) => writeJsonAtomic(paths.recipes, { recipes: Object.fromEntries(recipes) });
    const model = opts.model();
    this.settings = new LineSettings(cameraSettings(opts.cfg.cameras), thresholdsFilesOf(opts.cfg), live, (sets) => saveLiveThresholds(path, sets), model.id, persistRecipes);
    checkProducts(opts.cfg, this.settings.current, model);
    if (live.length > 0) opts.logger.info('live thresholds restored', { path, sets: live.length });
    for (const [line, product] of loadRecipes(paths.recipes, opts.logger)) {
      const restored = this.settings.setRecipe(line, product, model);
      if (restored.ok) opts.logger.info('recipe restored', { line, product, cameras: restored.cameras });
      else opts.logger.warn('recipe not restored', { line, product, why: restored.why });
    }
    this.checkFileModel();
    warnOffScale(opts.cfg, model, opts.logger);
  }

  /** The frame with the product its camera inspects now, remembered with the settings in force now. */
  stamp(frame: Frame): Frame {
    const snapshot = this.settings.current;
    const product = snapshot.productFor(frame.camera) ?? frame.product;
    const stamped = product === frame.product ? frame : { ...frame, product };
    this.stamps.set(stamped, snapshot);
    return stamped;
  }

  /** The product `camera` inspects now (its recipe, else its config); undefined for a camera not configured. */
  productFor(camera: string): string | undefined {
    return this.settings.current.productFor(camera);
  }

  /** The threshold that decides `frame` (or its `region`) under `model`, and where it comes from, from the settings stamped on it. */
  thresholdOf(frame: Frame, model: ModelRef, region?: RegionLayout): ResolvedThreshold {
    const stamped = this.stamps.get(frame) ?? this.settings.current;
    // A frame captured before a reload swapped the model and scored by the new one: the config reloaded with that
    // model says its thresholds, not the config of the model the frame was captured under.
    const current = this.settings.current;
    const settings = stamped.configModel !== model.id && current.configModel === model.id ? current : stamped;
    return settings.threshold(frame.camera, region?.product ?? frame.product, model, region?.name);
  }

  /** The threshold that decides `frame` (or its `region`) under `model`. */
  thresholdFor(frame: Frame, model: ModelRef, region?: RegionLayout): number {
    return this.thresholdOf(frame, model, region).threshold;
  }

  /** The `threshold` and `recipe` commands (command-registry.ts). */
  readonly commands: { readonly threshold: CommandHandler<'threshold'>; readonly recipe: CommandHandler<'recipe'> } = {
    threshold: {
      apply: (target, command, sender) => this.setThreshold(target, command.threshold, command.force, sender),
      inForce: (target) => this.thresholdAnswer(target.names['line']!, target.names['camera']!).inForce,
    },
    recipe: {
      apply: (target, command, sender) => this.setRecipe(target, command.product, sender),
      inForce: (target) => this.recipeAnswer(target.names['line']!).inForce,
    },
  };

  /** Publishes every camera's threshold in force and every line's recipe, and logs them: at start. */
  publish(): void {
    this.settle('start');
  }

  private setThreshold(target: CommandTarget, threshold: number, force: boolean, sender: Sender): Answer {
    const { logger } = this.opts;
    const line = target.names['line']!;
    const camera = target.names['camera']!;
    const model = this.opts.model();
    const was = this.inForce(camera, model);
    if (was !== undefined && !force) {
      const { low, high } = plausibleThresholds(model.sidecar, was.product);
      if (threshold < low || threshold > high) {
        return { ok: false, why: `${threshold} is off the model's scale for "${was.product}" (${round(low)} to ${round(high)}: a tenth of its calibrated threshold to ten times the highest normal score it saw); send "force": true to set it anyway`, ...this.thresholdAnswer(line, camera) };
      }
    }
    let outcome;
    try {
      outcome = this.settings.setThreshold(line, camera, threshold, sender, model, this.now());
    } catch (err) {
      return { ok: false, why: `it could not be kept for a restart: ${(err as Error).message} (make the state folder writable)`, ...this.thresholdAnswer(line, camera) };
    }
    if (!outcome.ok) return { ok: false, why: outcome.why, ...this.thresholdAnswer(line, camera) };
    logger.info('threshold changed', {
      line,
      camera,
      product: outcome.set.product,
      model: model.id,
      threshold,
      was: was?.threshold,
      wasOrigin: was?.origin,
      ...(force ? { forced: true } : {}),
      by: sender.by,
      sender: sender.verified ? 'authenticated by the embedded broker' : 'as claimed by the client',
    });
    this.settle('threshold set', sender.by, camera);
    return { ok: true, inForce: this.echoPayload(camera, this.echoed.get(camera)!) };
  }

  private setRecipe(target: CommandTarget, product: string, sender: Sender): Answer {
    const line = target.names['line']!;
    // The retained recipe comes again on every subscription (reconnects, a cluster's later subscriptions): the
    // same product is answered as in force, and nothing is changed, kept or logged as changed.
    if (this.settings.current.recipes.get(line) === product) return { ok: true, inForce: this.recipePayload(line) };
    let outcome;
    try {
      outcome = this.settings.setRecipe(line, product, this.opts.model());
    } catch (err) {
      return { ok: false, why: `it could not be kept for a restart: ${(err as Error).message} (make the state folder writable)`, ...this.recipeAnswer(line) };
    }
    if (!outcome.ok) return { ok: false, why: outcome.why, ...this.recipeAnswer(line) };
    this.recipeSetBy.set(line, { by: sender.by, at: this.now() });
    this.opts.logger.info('recipe changed', { line, product, cameras: outcome.cameras, by: sender.by, sender: sender.verified ? 'authenticated by the embedded broker' : 'as claimed by the client' });
    this.settle('recipe', sender.by);
    return { ok: true, inForce: this.recipePayload(line) };
  }

  /**
   * Checks a reloaded config (SIGHUP) for the model that will be live with it: its thresholds files, and every
   * camera's product. Returns what applies its cameras' products and thresholds and its thresholds files; throws
   * (nothing changed) when it cannot be applied.
   */
  prepareReload(cfg: Config, model: ModelRef): (model: string) => void {
    const files = thresholdsFilesOf(cfg);
    const next = new LineSettings(cameraSettings(cfg.cameras), files, [], () => undefined, model.id).current;
    checkProducts(cfg, next, model);
    // `model`: the one live with this config (after a swap, the new one): its camera thresholds are for it.
    return (live) => {
      this.settings.reload(cameraSettings(cfg.cameras), files, live);
      const removed = this.cfg.cameras.filter((c) => !cfg.cameras.some((n) => n.id === c.id));
      this.cfg = cfg;
      for (const cam of removed) this.forget(cam);
      this.checkFileModel();
      warnOffScale(cfg, this.opts.model(), this.opts.logger);
      this.settle('reload');
    };
  }

  /** A thresholds file made for another model is not used: say so (after a start, a reload or a model swap). */
  checkFileModel(): void {
    const model = this.opts.model();
    const file = this.cfg.model.thresholdsFile;
    // thresholdsFilesOf lists model.thresholdsFile first
    const calibrated = file === undefined ? undefined : this.settings.current.files[0];
    if (calibrated !== undefined && calibrated.model !== model.id) {
      this.opts.logger.warn('the thresholds file was calibrated for another model and is not used', { file, fileModel: calibrated.model, model: model.id, fix: `run uniad-edge calibrate with the model ${model.id}` });
    }
  }

  private inForce(camera: string, model: ModelRef): InForce | undefined {
    const snapshot = this.settings.current;
    const cam = snapshot.cameras.get(camera);
    const product = snapshot.productFor(camera);
    if (cam === undefined || product === undefined) return undefined;
    return { line: cam.line, product, model: model.id, ...snapshot.threshold(camera, product, model) };
  }

  /**
   * Logs and echoes every camera whose threshold in force changed since the last echo (`except`: one whose change
   * the caller logged itself), and publishes every line's recipe in force that changed.
   */
  private settle(because: string, by?: string, except?: string): void {
    const { logger } = this.opts;
    const model = this.opts.model();
    for (const id of this.settings.current.cameras.keys()) {
      const now = this.inForce(id, model)!;
      const was = this.echoed.get(id);
      if (was !== undefined && was.threshold === now.threshold && was.origin === now.origin && was.product === now.product && was.model === now.model) continue;
      this.echoed.set(id, now);
      this.opts.publishRetained(thresholdTopic(this.cfg.mqtt.prefix, now.line, id), JSON.stringify(this.echoPayload(id, now)));
      if (id === except) continue;
      const fields = { camera: id, line: now.line, product: now.product, model: now.model, threshold: now.threshold, origin: now.origin, because, ...(by === undefined ? {} : { by }) };
      if (was === undefined) logger.info('threshold in force', fields);
      // A live set that stops deciding (another product, another model) is the surprise this line exists for.
      else logger[was.origin === 'live' && now.origin !== 'live' ? 'warn' : 'info']('threshold in force changed', { ...fields, was: { product: was.product, model: was.model, threshold: was.threshold, origin: was.origin } });
    }
    for (const line of new Set([...this.settings.current.cameras.values()].map((c) => c.line))) {
      const payload = JSON.stringify(this.recipePayload(line));
      if (this.recipesEchoed.get(line) === payload) continue;
      this.recipesEchoed.set(line, payload);
      this.opts.publishRetained(recipeInForceTopic(this.cfg.mqtt.prefix, line), payload);
    }
  }

  /** A camera a reload removed: its retained echoes go (and its line's, when it was the last of it). */
  private forget(cam: CameraConfig): void {
    this.echoed.delete(cam.id);
    this.opts.clearRetained?.(thresholdTopic(this.cfg.mqtt.prefix, cam.line, cam.id));
    if (![...this.settings.current.cameras.values()].some((c) => c.line === cam.line)) {
      this.recipesEchoed.delete(cam.line);
      this.recipeSetBy.delete(cam.line);
      this.opts.clearRetained?.(recipeInForceTopic(this.cfg.mqtt.prefix, cam.line));
    }
  }

  /** The retained `threshold` echo: the value in force, for which product and model, its origin, and who set it when live. */
  private echoPayload(camera: string, now: InForce) {
    const set = now.origin === 'live' ? this.settings.current.liveSet(camera, now.product, now.model) : undefined;
    return { camera, line: now.line, product: now.product, model: now.model, threshold: now.threshold, origin: now.origin, ...(set ? { by: set.by, at: set.at } : {}) };
  }

  /** The retained `recipe/current`: the line's recipe (null: none, each camera its configured product), each camera's product. */
  private recipePayload(line: string) {
    const snapshot = this.settings.current;
    const cameras = [...snapshot.cameras.values()].filter((c) => c.line === line);
    const setBy = this.recipeSetBy.get(line);
    return { line, product: snapshot.recipes.get(line) ?? null, cameras: Object.fromEntries(cameras.map((c) => [c.id, snapshot.productFor(c.id)])), ...(setBy ?? {}) };
  }

  /** The camera's threshold echo, when `line` has the camera. */
  private thresholdAnswer(line: string, camera: string): { inForce?: unknown } {
    const now = this.inForce(camera, this.opts.model());
    return now !== undefined && now.line === line ? { inForce: this.echoPayload(camera, now) } : {};
  }

  private recipeAnswer(line: string): { inForce?: unknown } {
    return [...this.settings.current.cameras.values()].some((c) => c.line === line) ? { inForce: this.recipePayload(line) } : {};
  }
}

/** Every camera's product, and the products it has thresholds for, known to `model` or allowed on purpose (UNKNOWN_PRODUCT). */
function checkProducts(cfg: Config, settings: SettingsSnapshot, model: ModelRef): void {
  for (const cam of cfg.cameras) {
    for (const product of [cam.product, ...Object.keys(cam.thresholds ?? {})]) {
      if (settings.knownProducts(model).includes(product) || (cam.allowUnknownProduct && configuredThreshold(cam, product) !== undefined)) continue;
      throw uniadError('UNKNOWN_PRODUCT', cam.id, product, model.id, settings.knownProducts(model).join(', '));
    }
  }
}

/** A configured threshold far off the model's scale for its product (0.42 where scores are 30 to 75) rejects every part, or none: warned. */
function warnOffScale(cfg: Config, model: ModelRef, logger: Logger): void {
  for (const cam of cfg.cameras) {
    for (const product of [cam.product, ...Object.keys(cam.thresholds ?? {})]) {
      const threshold = configuredThreshold(cam, product);
      if (threshold === undefined) continue;
      const { low, high } = plausibleThresholds(model.sidecar, product);
      if (threshold >= low && threshold <= high) continue;
      logger.warn("a camera's configured threshold is off the model's scale: it would reject nearly every part, or nearly none", {
        camera: cam.id,
        product,
        threshold,
        model: model.id,
        scale: `${round(low)} to ${round(high)}`,
        fix: 'set a threshold on the scale of the model (its sidecar thresholds, or uniad-edge calibrate), or leave it out',
      });
    }
  }
}

/**
 * The line control on the running service: echoes on the sink's retained topics, the thresholds of the model scoring
 * now. Throws at start when a thresholds file is invalid or a camera's product is unknown to the model. Its commands
 * are answered by the `commands` part (commands.ts).
 */
export const control: Part<Pick<ServiceBase, 'cfg' | 'logger'> & { readonly model: LiveModel; readonly sink: MqttSink }, 'control', LineControl> = {
  name: 'control',
  start({ cfg, logger, model: { live }, sink }) {
    const line = new LineControl({
      cfg,
      publishRetained: (topic, payload) => sink.link.publishRetained(topic, payload),
      clearRetained: (topic) => sink.link.clearRetained(topic),
      model: () => ({ id: live.modelId, sidecar: live.sidecar }),
      logger,
    });
    line.publish();
    return line;
  },
};

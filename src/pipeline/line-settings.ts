/**
 * What a line runs with right now: each camera's product (config, or the line's recipe) and every threshold source
 * (threshold-sources.ts). Changed by MQTT commands, a recipe and SIGHUP; read for every frame.
 *
 * Every change makes a new immutable `SettingsSnapshot`. The service stamps each frame with the snapshot in force
 * when the frame was captured, and decides it with that one: a change applies from the next captured frame, never
 * to a frame already on its way through the model.
 */
import { thresholdProblem } from '../threshold-bounds.js';
import type { ThresholdsFile } from '../types.js';
import { withLiveThreshold, type LiveThreshold } from './live-thresholds.js';
import { configuredThreshold, fileFor, liveKey, resolveThreshold, type ConfiguredCamera, type ModelRef, type ResolvedThreshold } from './threshold-sources.js';

export interface CameraSetting extends ConfiguredCamera {
  readonly id: string;
  readonly line: string;
  /** The product in the config, used until the line's recipe says otherwise. */
  readonly product: string;
}

export type Outcome<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly why: string };

export class SettingsSnapshot {
  private readonly liveMap: ReadonlyMap<string, number>;

  constructor(
    readonly cameras: ReadonlyMap<string, CameraSetting>,
    /** Thresholds files, each for its own model (threshold-sources.ts). */
    readonly files: readonly ThresholdsFile[],
    readonly live: readonly LiveThreshold[],
    /** Line → product of its recipe. */
    readonly recipes: ReadonlyMap<string, string>,
    /** The model loaded with the config (threshold-sources.ts `configModel`). */
    readonly configModel?: string,
  ) {
    this.liveMap = new Map(live.map((s) => [liveKey(s.camera, s.product, s.model), s.threshold]));
  }

  /** The product `camera` inspects: its line's recipe, else its configured product. */
  productFor(camera: string): string | undefined {
    const cam = this.cameras.get(camera);
    return cam === undefined ? undefined : (this.recipes.get(cam.line) ?? cam.product);
  }

  /** With `region`, the threshold of that region of the camera's frames. */
  threshold(camera: string, product: string, model: ModelRef, region?: string): ResolvedThreshold {
    return resolveThreshold(camera, product, model, { live: this.liveMap, cameras: this.cameras, files: this.files, configModel: this.configModel }, region);
  }

  /** The live set in force for this camera, product and model, if any (who set it, when). */
  liveSet(camera: string, product: string, model: string): LiveThreshold | undefined {
    return this.live.find((s) => s.camera === camera && s.product === product && s.model === model);
  }

  /** The products `model` knows: its classes, and the products its thresholds file was calibrated for. Sorted. */
  knownProducts(model: ModelRef): string[] {
    const file = fileFor(this.files, model.id);
    const calibrated = file === undefined ? [] : [...Object.keys(file.products), ...Object.values(file.cameras).flatMap((c) => Object.keys(c)), ...Object.values(file.regions ?? {}).flatMap((r) => Object.values(r).flatMap((p) => Object.keys(p)))];
    return [...new Set([...model.sidecar.classes, ...calibrated])].sort();
  }

  /**
   * Whether `camera` may inspect `product` under `model`: the model knows the product, or the config gives the camera
   * a threshold for it (an unknown product allowed on purpose: config/refinements.ts). The same rule at start, on a
   * reload and for a recipe over MQTT.
   */
  mayInspect(camera: string, product: string, model: ModelRef): boolean {
    return this.knownProducts(model).includes(product) || configuredThreshold(this.cameras.get(camera), product) !== undefined;
  }
}

export class LineSettings {
  private snapshot: SettingsSnapshot;

  constructor(
    cameras: readonly CameraSetting[],
    files: readonly ThresholdsFile[],
    live: readonly LiveThreshold[],
    private readonly persist: (sets: readonly LiveThreshold[]) => void,
    configModel?: string,
    private readonly persistRecipes: (recipes: ReadonlyMap<string, string>) => void = () => undefined,
  ) {
    this.snapshot = new SettingsSnapshot(new Map(cameras.map((c) => [c.id, c])), files, live, new Map(), configModel);
  }

  get current(): SettingsSnapshot {
    return this.snapshot;
  }

  /**
   * A live threshold for the product `camera` inspects now, under `model`. Kept (persist) before it is in force, so
   * an applied value is never lost by a restart.
   */
  setThreshold(line: string, camera: string, threshold: number, who: { by: string; verified: boolean }, model: ModelRef, at: number): Outcome<{ set: LiveThreshold }> {
    const s = this.snapshot;
    const cam = s.cameras.get(camera);
    if (cam === undefined || cam.line !== line) return { ok: false, why: `no camera "${camera}" on line "${line}" (cameras: ${[...s.cameras.values()].map((c) => `${c.line}/${c.id}`).join(', ')})` };
    const problem = thresholdProblem(threshold);
    if (problem !== undefined) return { ok: false, why: `threshold ${threshold} ${problem}` };
    const set: LiveThreshold = { camera, product: s.productFor(camera)!, model: model.id, threshold, by: who.by, verified: who.verified, at };
    const live = withLiveThreshold(s.live, set);
    this.persist(live);
    this.snapshot = new SettingsSnapshot(s.cameras, s.files, live, s.recipes, s.configModel);
    return { ok: true, set };
  }

  /** Selects `product` for every camera of `line`; refused for an unknown line, or a product a camera of it cannot inspect. */
  setRecipe(line: string, product: string, model: ModelRef): Outcome<{ cameras: string[] }> {
    const s = this.snapshot;
    const cameras = [...s.cameras.values()].filter((c) => c.line === line).map((c) => c.id);
    if (cameras.length === 0) return { ok: false, why: `no camera on line "${line}" (lines: ${[...new Set([...s.cameras.values()].map((c) => c.line))].join(', ')})` };
    const cannot = cameras.filter((c) => !s.mayInspect(c, product, model));
    if (cannot.length > 0) {
      return { ok: false, why: `unknown product "${product}": the model ${model.id} knows ${s.knownProducts(model).join(', ')}, and the config gives camera ${cannot.join(', ')} no threshold for it (calibrate the product, or give the cameras a threshold for it with allowUnknownProduct: true)` };
    }
    const recipes = new Map([...s.recipes, [line, product]]);
    this.persistRecipes(recipes);
    this.snapshot = new SettingsSnapshot(s.cameras, s.files, s.live, recipes, s.configModel);
    return { ok: true, cameras };
  }

  /**
   * New config values and thresholds files (SIGHUP), read with `configModel` loaded; live sets stay, and the recipes
   * of lines that still have a camera.
   */
  reload(cameras: readonly CameraSetting[], files: readonly ThresholdsFile[], configModel: string): void {
    const s = this.snapshot;
    const lines = new Set(cameras.map((c) => c.line));
    this.snapshot = new SettingsSnapshot(new Map(cameras.map((c) => [c.id, c])), files, s.live, new Map([...s.recipes].filter(([line]) => lines.has(line))), configModel);
  }
}

/**
 * What a line runs with right now: each camera's product (config, or the line's recipe) and every threshold source
 * (threshold-sources.ts). Changed by MQTT commands, a recipe and SIGHUP; read for every frame.
 *
 * Every change makes a new immutable `SettingsSnapshot`. The service stamps each frame with the snapshot in force
 * when the frame was captured, and decides it with that one: a change applies from the next captured frame, never
 * to a frame already on its way through the model.
 */
import type { ThresholdsFile } from '../types.js';
import { withLiveThreshold, type LiveThreshold } from './live-thresholds.js';
import { liveKey, resolveThreshold, type ModelRef, type ResolvedThreshold } from './threshold-sources.js';

export interface CameraSetting {
  readonly id: string;
  readonly line: string;
  /** The product in the config, used until the line's recipe says otherwise. */
  readonly product: string;
  readonly threshold?: number | undefined;
}

export type Outcome<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly why: string };

export class SettingsSnapshot {
  private readonly liveMap: ReadonlyMap<string, number>;

  constructor(
    readonly cameras: ReadonlyMap<string, CameraSetting>,
    readonly file: ThresholdsFile | undefined,
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

  threshold(camera: string, product: string, model: ModelRef): ResolvedThreshold {
    return resolveThreshold(camera, product, model, { live: this.liveMap, cameras: this.cameras, file: this.file, configModel: this.configModel });
  }

  /** The live set in force for this camera, product and model, if any (who set it, when). */
  liveSet(camera: string, product: string, model: string): LiveThreshold | undefined {
    return this.live.find((s) => s.camera === camera && s.product === product && s.model === model);
  }

  /** Products a recipe may select: the model's classes, the thresholds file's products, the configured products. */
  knownProducts(model: ModelRef): Set<string> {
    return new Set([...model.sidecar.classes, ...Object.keys(this.file?.model === model.id ? this.file.products : {}), ...[...this.cameras.values()].map((c) => c.product)]);
  }
}

export class LineSettings {
  private snapshot: SettingsSnapshot;

  constructor(
    cameras: readonly CameraSetting[],
    file: ThresholdsFile | undefined,
    live: readonly LiveThreshold[],
    private readonly persist: (sets: readonly LiveThreshold[]) => void,
    configModel?: string,
    private readonly persistRecipes: (recipes: ReadonlyMap<string, string>) => void = () => undefined,
  ) {
    this.snapshot = new SettingsSnapshot(new Map(cameras.map((c) => [c.id, c])), file, live, new Map(), configModel);
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
    if (!(Number.isFinite(threshold) && threshold > 0)) return { ok: false, why: `threshold must be a number > 0, got ${threshold}` };
    const set: LiveThreshold = { camera, product: s.productFor(camera)!, model: model.id, threshold, by: who.by, verified: who.verified, at };
    const live = withLiveThreshold(s.live, set);
    this.persist(live);
    this.snapshot = new SettingsSnapshot(s.cameras, s.file, live, s.recipes, s.configModel);
    return { ok: true, set };
  }

  /** Selects `product` for every camera of `line`; refused for an unknown line or product. */
  setRecipe(line: string, product: string, model: ModelRef): Outcome<{ cameras: string[] }> {
    const s = this.snapshot;
    const cameras = [...s.cameras.values()].filter((c) => c.line === line).map((c) => c.id);
    if (cameras.length === 0) return { ok: false, why: `no camera on line "${line}" (lines: ${[...new Set([...s.cameras.values()].map((c) => c.line))].join(', ')})` };
    const known = s.knownProducts(model);
    if (!known.has(product)) return { ok: false, why: `unknown product "${product}": the model ${model.id} knows ${[...known].sort().join(', ')} (calibrate the product, or add it to a camera in the config)` };
    const recipes = new Map([...s.recipes, [line, product]]);
    this.persistRecipes(recipes);
    this.snapshot = new SettingsSnapshot(s.cameras, s.file, s.live, recipes, s.configModel);
    return { ok: true, cameras };
  }

  /** New config values and thresholds file (SIGHUP), read with `configModel` loaded; live sets and recipes stay. */
  reload(cameras: readonly CameraSetting[], file: ThresholdsFile | undefined, configModel: string): void {
    const s = this.snapshot;
    this.snapshot = new SettingsSnapshot(new Map(cameras.map((c) => [c.id, c])), file, s.live, s.recipes, configModel);
  }
}

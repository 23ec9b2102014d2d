/**
 * What a reloaded config (SIGHUP) changes, and how the running service takes each change: nothing a reload cannot
 * apply goes unsaid. Pure.
 *
 *   cameras      added and removed; a camera whose capture settings changed is restarted alone (its verdict ids go on);
 *                `overload` applies from the next frame; product and thresholds are the line control's
 *   model        swapped when its files change (with providers, threads and TensorRT settings); a thresholds file
 *                applies at once
 *   shadow       started, replaced or stopped
 *   mqtt.commands  applies at once
 *   the rest     listed as needing a restart, and not applied
 */
import type { CameraConfig, Config } from '../config.js';

/** Settings a camera's capture process is started with: a change restarts that camera. */
const captureKeys = ['line', 'source', 'crop', 'size', 'regions', 'ignore', 'fps', 'loop', 'live', 'watchdogSeconds', 'decoder'] as const;

export interface CameraChanges {
  readonly added: readonly CameraConfig[];
  readonly removed: readonly CameraConfig[];
  /** The new config of cameras whose capture settings changed, and which ones changed. */
  readonly restarted: readonly { readonly camera: CameraConfig; readonly changed: readonly string[] }[];
}

export interface ReloadPlan {
  readonly cameras: CameraChanges;
  /** Fields that changed and are not applied until a restart, as `section.key`. */
  readonly needRestart: readonly string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function cameraChanges(old: readonly CameraConfig[], next: readonly CameraConfig[]): CameraChanges {
  const before = new Map(old.map((c) => [c.id, c]));
  const after = new Set(next.map((c) => c.id));
  return {
    added: next.filter((c) => !before.has(c.id)),
    removed: old.filter((c) => !after.has(c.id)),
    restarted: next.flatMap((camera) => {
      const was = before.get(camera.id);
      const changed = was === undefined ? [] : captureKeys.filter((k) => !same(was[k], camera[k]));
      return changed.length === 0 ? [] : [{ camera, changed }];
    }),
  };
}

/** The keys of `section` that differ between `a` and `b`, except `applied` ones, as `name.key`. */
function changedKeys(name: string, a: object | undefined, b: object | undefined, applied: readonly string[] = []): string[] {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].filter((k) => !applied.includes(k) && !same((a as Record<string, unknown> | undefined)?.[k], (b as Record<string, unknown> | undefined)?.[k])).map((k) => `${name}.${k}`);
}

/**
 * `modelSwapped`: the model's files change with this reload, so the new worker is opened with the new providers,
 * threads and TensorRT settings.
 */
export function planReload(old: Config, next: Config, modelSwapped: boolean): ReloadPlan {
  const modelApplied = ['path', 'thresholdsFile', ...(modelSwapped ? ['providers', 'threads', 'threadSpinning', 'tensorrt'] : [])];
  const topLevel = (['site', 'node', 'stateDir'] as const).filter((k) => !same(old[k], next[k]));
  // a camera's part former is made at the start (service/parts.ts)
  const parts = next.cameras.filter((c) => !same(old.cameras.find((o) => o.id === c.id)?.parts, c.parts)).map((c) => `cameras.${c.id}.parts`);
  return {
    cameras: cameraChanges(old.cameras, next.cameras),
    needRestart: [
      ...topLevel,
      ...parts,
      ...changedKeys('model', old.model, next.model, modelApplied),
      ...changedKeys('mqtt', old.mqtt, next.mqtt, ['commands']),
      ...changedKeys('embeddedBroker', old.embeddedBroker, next.embeddedBroker),
      ...changedKeys('archive', old.archive, next.archive),
      ...changedKeys('dashboard', old.dashboard, next.dashboard),
      ...changedKeys('log', old.log, next.log),
      ...changedKeys('registry', old.registry, next.registry),
    ],
  };
}

/**
 * Stale-engine detection for TensorRT's engine cache. TensorRT's engines and timing cache are valid only for the
 * model, onnxruntime and TensorRT releases, GPU and precision they were built with, and onnxruntime does not check
 * all of that when it finds a cached engine (its documentation says to delete the cache when any of them changes).
 * So the cache folder carries a manifest of what built it; a cache whose manifest differs from now is emptied before
 * the session is created, so TensorRT builds afresh — never silently used.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Everything a cached engine depends on. */
export interface EngineIdentity {
  /** sha256 of the ONNX file. */
  readonly model: string;
  readonly onnxruntime: string;
  readonly tensorrt: string;
  readonly gpu: string;
  readonly precision: 'fp16' | 'fp32';
  /** The optimisation profile, e.g. `image:1x224x224x3..image:8x224x224x3`. */
  readonly profile: string;
}

export type EngineCacheState =
  | { readonly state: 'absent' }
  | { readonly state: 'valid' }
  | { readonly state: 'stale'; readonly reasons: readonly string[] };

export const manifestName = 'uniad-edge-engine.json';

const labels: Record<keyof EngineIdentity, string> = {
  model: 'model file',
  onnxruntime: 'onnxruntime version',
  tensorrt: 'TensorRT version',
  gpu: 'GPU',
  precision: 'precision',
  profile: 'batch profile',
};

/** What differs between the cache's manifest and now, as `TensorRT version 10.3.0 → 10.7.0`. Pure. */
export function staleReasons(saved: Partial<EngineIdentity>, now: EngineIdentity): string[] {
  return (Object.keys(labels) as (keyof EngineIdentity)[])
    .filter((k) => saved[k] !== now[k])
    .map((k) => `${labels[k]} ${k === 'model' ? short(saved[k]) : (saved[k] ?? '(none)')} → ${k === 'model' ? short(now[k]) : now[k]}`);
}

const short = (hash: string | undefined) => (hash === undefined ? '(none)' : `sha256:${hash.slice(0, 12)}`);

/** Reads the cache folder's state. A folder with engine files but no readable manifest is stale: nobody knows what built it. */
export function engineCacheState(dir: string, now: EngineIdentity): EngineCacheState {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return { state: 'absent' };
  }
  const engines = files.filter((f) => f !== manifestName);
  let saved: Partial<EngineIdentity> | undefined;
  try {
    saved = JSON.parse(readFileSync(join(dir, manifestName), 'utf8')) as Partial<EngineIdentity>;
  } catch {
    saved = undefined;
  }
  if (saved === undefined) return engines.length === 0 ? { state: 'absent' } : { state: 'stale', reasons: ['no manifest says what built these engines'] };
  if (engines.length === 0) return { state: 'absent' };
  const reasons = staleReasons(saved, now);
  return reasons.length === 0 ? { state: 'valid' } : { state: 'stale', reasons };
}

/** Empties the cache folder (engines, profiles, timing cache, manifest) so that TensorRT builds again. */
export function clearEngineCache(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/** Records what built the engines now in the folder; called after a session was created (engines built). */
export function writeEngineManifest(dir: string, now: EngineIdentity): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, manifestName), `${JSON.stringify(now, null, 2)}\n`);
}

/** sha256 of a file, streamed (models are tens of MB). */
export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

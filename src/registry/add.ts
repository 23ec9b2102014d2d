/**
 * `uniad-edge models add`: a model and its sidecar (and its model card, when `train` wrote one) checked and copied
 * into the registry as `models/<version>/`, with its hash, dataset hash, recipe and held-out metrics. Checked first,
 * so nothing is copied of a model that does not match what it came with:
 *   - the card's sha256 against the file's (MODEL_CARD_MISMATCH), when there is a card;
 *   - the sidecar against the graph, loaded in onnxruntime (the model contract, MODEL_CONTRACT / SIDECAR / MODEL_NOT_ONNX).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { uniadError } from '../errors.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { loadSidecar, sidecarPathFor } from '../pipeline/sidecar.js';
import type { Logger } from '../types.js';
import { withPromotionLock } from './lock.js';
import { readRegistry, writeRegistry, type ModelEntry } from './store.js';

export const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The model card `train` writes next to `x.onnx`: `x.md`. */
export const cardPathFor = (modelPath: string) => modelPath.replace(/(\.onnx)?$/i, '.md');

/** The ONNX file's sha256 as the card's "files" row gives it. Pure. */
export function cardSha256(card: string): string | undefined {
  return /^\| files \|.*?sha256 `([0-9a-f]{64})`/m.exec(card)?.[1];
}

const record = (x: unknown): Record<string, unknown> | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);
const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** What the sidecar as written says of the training (the sidecar schema keeps only what the runtime reads). Pure. */
export function trainingFacts(sidecarDoc: unknown): Pick<ModelEntry, 'datasetSha256' | 'recipe' | 'metrics'> {
  const doc = record(sidecarDoc);
  const training = record(doc?.training);
  const dataset = record(training?.dataset);
  const heldOut = record(record(doc?.evaluation)?.heldOut);
  return {
    datasetSha256: typeof dataset?.sha256 === 'string' ? dataset.sha256 : null,
    recipe: record(training?.recipe) ?? null,
    metrics: heldOut === undefined ? null : { imageAuroc: num(heldOut.imageAuroc), pixelAuroc: num(heldOut.pixelAuroc) },
  };
}

/** A version names a folder of the registry. */
function checkVersion(version: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version)) throw uniadError('REGISTRY_VERSION', version, 'cannot name a folder of the registry: use letters, digits, ".", "_", "+" and "-", starting with a letter or digit (set "version" in the sidecar, or train with --version)');
}

export interface AddOptions {
  readonly by: string;
  readonly logger?: Logger;
  readonly now?: Date;
}

export interface Added {
  readonly entry: ModelEntry;
  /** False when the same file was already in the registry under this version. */
  readonly added: boolean;
}

/** Checks `modelPath` against its sidecar and card, and adds it to the registry in `dir` under its sidecar's version. */
export async function addModel(dir: string, modelPath: string, opts: AddOptions): Promise<Added> {
  const source = resolve(modelPath);
  if (!existsSync(source)) throw uniadError('MODEL_READ', source, 'no such file');
  const sidecar = loadSidecar(source);
  checkVersion(sidecar.version);
  const sha256 = sha256File(source);
  const card = cardPathFor(source);
  const hasCard = existsSync(card);
  if (hasCard) {
    const want = cardSha256(readFileSync(card, 'utf8'));
    if (want !== undefined && want !== sha256) throw uniadError('MODEL_CARD_MISMATCH', source, card, want, sha256);
  }
  // the model contract: the graph against its sidecar, in onnxruntime as the service loads it
  const engine = await InferenceEngine.open({ modelPath: source, providers: ['cpu'], threads: 1, ...(opts.logger ? { logger: opts.logger } : {}) });
  await engine.close();

  return withPromotionLock(dir, { version: `add ${sidecar.version}`, by: opts.by }, () => {
    const doc = readRegistry(dir);
    const there = doc.models.find((m) => m.version === sidecar.version);
    if (there !== undefined) {
      if (there.sha256 === sha256) return { entry: there, added: false };
      throw uniadError('REGISTRY_VERSION', sidecar.version, `is already in the registry as another file (sha256 ${there.sha256}, added by ${there.addedBy} at ${there.addedAt}; this one is ${sha256}): give the new model its own version`);
    }
    const file = basename(source);
    const folder = join(dir, sidecar.version);
    // copied whole into a temporary folder, then renamed into place: a version's folder is complete or absent
    const temp = join(dir, `.${sidecar.version}.${process.pid}.tmp`);
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    copyFileSync(source, join(temp, file));
    copyFileSync(sidecarPathFor(source), sidecarPathFor(join(temp, file)));
    if (hasCard) copyFileSync(card, cardPathFor(join(temp, file)));
    rmSync(folder, { recursive: true, force: true });
    renameSync(temp, folder);
    const at = (opts.now ?? new Date()).toISOString();
    const entry: ModelEntry = {
      version: sidecar.version,
      name: sidecar.name,
      file: `${sidecar.version}/${file}`,
      sha256,
      ...trainingFacts(JSON.parse(readFileSync(sidecarPathFor(source), 'utf8'))),
      source,
      addedBy: opts.by,
      addedAt: at,
    };
    writeRegistry(dir, { ...doc, models: [...doc.models, entry], history: [...doc.history, { at, action: 'add', version: entry.version, by: opts.by }] });
    return { entry, added: true };
  });
}

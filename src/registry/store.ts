/**
 * Folder registry/: the models on the box, under the state folder's `models/` (docs/lifecycle.md, "Models on the
 * box"): every model added with its hashes, recipe and metrics, the active one, who promoted what when, the promotion
 * lock, and what the running service reports it runs. It may import `pipeline/` (the sidecar, the contract check) and
 * nothing else of the folders; the service's wiring (service/registry.ts) and the `models` command use it.
 *
 * This file: the registry document and its one file, `models/registry.json`, read whole and written whole, atomically
 * (a temporary file, fsync, rename, fsync of the folder): a power loss leaves the old document or the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { uniadError } from '../errors.js';
import { describeIssues } from '../zod-issues.js';

/** One model added with `uniad-edge models add`, kept under `models/<version>/`. */
const modelEntry = z.object({
  version: z.string().min(1),
  /** The sidecar's `name`. */
  name: z.string().min(1),
  /** The ONNX file, relative to the registry folder: `<version>/<file>.onnx`; its sidecar and card lie beside it. */
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The training dataset's fingerprint (training/dataset-hash.ts) where the sidecar has one. */
  datasetSha256: z.string().nullable(),
  recipe: z.record(z.unknown()).nullable(),
  /** Held-out image and pixel AUROC, in percent, where training measured them. */
  metrics: z.object({ imageAuroc: z.number().nullable(), pixelAuroc: z.number().nullable() }).nullable(),
  /** Where it was added from. */
  source: z.string(),
  addedBy: z.string(),
  addedAt: z.string(),
});

const historyEvent = z.object({
  at: z.string(),
  action: z.enum(['add', 'promote', 'rollback', 'refused', 'probation passed']),
  /** The version concerned; null: the config's own `model.path`. */
  version: z.string().nullable(),
  /** The active version before (promote, rollback). */
  from: z.string().nullable().optional(),
  by: z.string(),
  cause: z.string().optional(),
});

const registryDoc = z.object({
  format: z.literal(1),
  /** The version the service runs; null: none promoted yet, the config's `model.path` runs. */
  active: z.string().nullable(),
  /** The versions active before, oldest first: a rollback returns to the last. */
  previous: z.array(z.string().nullable()),
  models: z.array(modelEntry),
  history: z.array(historyEvent),
});

export type ModelEntry = z.infer<typeof modelEntry>;
export type HistoryEvent = z.infer<typeof historyEvent>;
export type RegistryDoc = z.infer<typeof registryDoc>;

export const emptyRegistry: RegistryDoc = { format: 1, active: null, previous: [], models: [], history: [] };

/** The files of the registry folder (`statePaths(stateDir).models`). */
export const registryFiles = (dir: string) => ({
  doc: join(dir, 'registry.json'),
  lock: join(dir, 'promotion.lock'),
  live: join(dir, 'live.json'),
});

/**
 * The registry in `dir`; an empty one where none was written yet, or none can be (a state folder that is a file: the
 * service runs degraded on its config's model, and says so for the folder).
 */
export function readRegistry(dir: string): RegistryDoc {
  const path = registryFiles(dir).doc;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return emptyRegistry;
    throw uniadError('REGISTRY_READ', path, (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw uniadError('REGISTRY_READ', path, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = registryDoc.safeParse(doc);
  if (!parsed.success) throw uniadError('REGISTRY_READ', path, describeIssues(parsed.error));
  return parsed.data;
}

/** Writes `text` to `path` so that a crash leaves either the old file or the new one, never a part. */
export function writeAtomically(path: string, text: string): void {
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function writeRegistry(dir: string, doc: RegistryDoc): void {
  writeAtomically(registryFiles(dir).doc, `${JSON.stringify(registryDoc.parse(doc), null, 2)}\n`);
}

/** The entry of `version`, or a REGISTRY_VERSION error naming the versions there are. */
export function entryOf(doc: RegistryDoc, version: string): ModelEntry {
  const entry = doc.models.find((m) => m.version === version);
  if (entry === undefined) throw uniadError('REGISTRY_VERSION', version, `is not in the registry (it holds ${doc.models.map((m) => m.version).join(', ') || 'no model yet'}; add one with uniad-edge models add MODEL.onnx)`);
  return entry;
}

/** The absolute path of an entry's ONNX file. */
export const modelPathOf = (dir: string, entry: ModelEntry) => join(dir, entry.file);

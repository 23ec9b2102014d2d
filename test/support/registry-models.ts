/** Versions of the tiny models for the model registry's tests: a copy with its own version, training facts and card. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { tinyModels } from '../setup/tiny-model.js';

/** The tiny model as `version`, copied into `dir` with its sidecar (`sidecar` changed in it; a card giving `cardHash`, when set). */
export function tinyVersion(dir: string, version: string, from: string = tinyModels.ok, cardHash?: string, changes: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const model = join(dir, `tiny-${version}.onnx`);
  copyFileSync(from, model);
  const sidecar = JSON.parse(readFileSync(sidecarPathFor(from), 'utf8'));
  writeFileSync(sidecarPathFor(model), JSON.stringify({ ...sidecar, version, training: { ...sidecar.training, dataset: { sha256: 'd'.repeat(64) }, recipe: { epochs: 3 } }, evaluation: { heldOut: { imageAuroc: 91.5, pixelAuroc: 88 } }, ...changes }));
  if (cardHash !== undefined) writeFileSync(model.replace(/\.onnx$/, '.md'), `# Model card\n\n| | |\n| --- | --- |\n| files | \`tiny.onnx\` (0.0 MB, sha256 \`${cardHash}\`), sidecar \`tiny.json\` |\n`);
  return model;
}


/**
 * What `uniad-edge evaluate` runs: scores an ONNX model through the runtime's inference path on a benchmark build and/or an
 * unseen-defect build, prints per-class image and pixel AUROC and their means, and writes the sidecar's
 * `evaluation` block as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { uniadError } from '../errors.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { sidecarPathFor } from '../pipeline/sidecar.js';
import { cameraLayouts, type CameraRegions } from '../tiles/layout.js';
import type { Logger } from '../types.js';
import { scoreLine, type LineScore } from './line.js';
import { scoreFolder, type FolderScore } from './score-folder.js';

/** The sidecar's `evaluation` block; with `camera`, each set scored per region of it instead (`regions`). */
export interface Evaluation {
  benchmark?: FolderScore;
  unseenDefects?: FolderScore;
  demoLine?: LineScore;
  /** The held-out split of the dataset `uniad-edge train` trained the model on. */
  heldOut?: FolderScore;
  /** `<camera>/<region>` → each set, its images cut and tiled as that region of the camera is. */
  regions?: Record<string, { benchmark?: FolderScore; unseenDefects?: FolderScore }>;
}

export type FolderSet = 'benchmark' | 'unseenDefects';

export interface EvaluateOptions {
  readonly model: string;
  /** Key in the output → folder in MVTec AD layout. */
  readonly sets: Readonly<Partial<Record<FolderSet, string>>>;
  /** Ground truth of the demo line (models/demo/line.json): scored as `demoLine`. */
  readonly line?: string;
  readonly out?: string;
  /**
   * Also store the result in the model's sidecar, under `evaluation` (merged: other keys stay), or under
   * `evaluation.ci` for the small builds CI scores (test/models/accuracy.test.ts).
   */
  readonly writeSidecar?: 'evaluation' | 'ci';
  readonly threads?: number;
  /** Score the sets' images as this camera's regions (whole camera images, the service config's camera). */
  readonly camera?: CameraRegions;
  readonly logger: Logger;
  readonly print: (line: string) => void;
}

const fmt = (v: number) => (Number.isNaN(v) ? '  n/a' : v.toFixed(1).padStart(5));

/** The per-class table of one set, as printed. */
export function formatTable(name: string, score: FolderScore): string[] {
  const width = Math.max(5, ...Object.keys(score.perClass).map((c) => c.length));
  const lines = [`${name} (${score.images} images, seed ${score.seed ?? 'unknown'}): AUROC %`, `${'class'.padEnd(width)}  image  pixel`];
  for (const [cls, c] of Object.entries(score.perClass)) lines.push(`${cls.padEnd(width)}  ${fmt(c.image)}  ${fmt(c.pixel)}`);
  lines.push(`${'mean'.padEnd(width)}  ${fmt(score.imageAuroc)}  ${fmt(score.pixelAuroc)}`);
  lines.push('per defect kind (good images against that kind, mean over classes):');
  for (const [kind, k] of Object.entries(score.perKind)) lines.push(`${kind.padEnd(width)}  ${fmt(k.image)}  ${fmt(k.pixel)}`);
  return lines;
}

/** Runs the evaluation; resolves to the `evaluation` block it printed and (with `out`) wrote. */
export async function evaluateModel(options: EvaluateOptions): Promise<Evaluation> {
  const engine = await InferenceEngine.open({ modelPath: options.model, providers: ['cpu'], threads: options.threads ?? 0, logger: options.logger });
  const result: Evaluation = {};
  try {
    const layouts = options.camera === undefined ? undefined : cameraLayouts(options.camera, engine.sidecar.input);
    if (options.camera !== undefined && layouts === undefined) throw uniadError('USAGE', `--camera ${options.camera.id} has no regions in the config (give a camera with regions, or leave --camera out)`);
    for (const [name, folder] of Object.entries(options.sets) as [FolderSet, string][]) {
      for (const region of layouts ?? [undefined]) {
        const label = region === undefined ? name : `${name}, camera ${options.camera!.id}, region ${region.name}`;
        const score = await scoreFolder(engine, folder, {
          onClass: (cls, c) => options.logger.info('class scored', { set: label, cls, image: c.image, pixel: c.pixel }),
          ...(region === undefined ? {} : { region }),
        });
        if (region === undefined) result[name] = score;
        else ((result.regions ??= {})[`${options.camera!.id}/${region.name}`] ??= {})[name] = score;
        for (const line of formatTable(label, score)) options.print(line);
      }
    }
    if (options.line !== undefined) {
      const { parts, ...line } = await scoreLine(engine, options.line, options.logger);
      result.demoLine = line;
      options.print(`demoLine (${parts.length} parts, ${line.counting}): ${line.defectivePartsRejected} of ${line.defectiveParts} defective parts rejected (recall ${line.partRecall} %), ${line.goodPartsRejected} of ${line.goodParts} good parts rejected; frames: recall ${line.frameRecall} %, false rejects ${line.frameFalseRejectRate} %`);
    }
  } finally {
    await engine.close();
  }
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(result, null, 1)}\n`);
  if (options.writeSidecar !== undefined) storeInSidecar(options.model, options.writeSidecar, result);
  return result;
}

/** Merges `result` into the sidecar's `evaluation` (or `evaluation.ci`) block; the rest of the file is kept. */
export function storeInSidecar(model: string, where: 'evaluation' | 'ci', result: Evaluation): void {
  const path = sidecarPathFor(model);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { evaluation?: Record<string, unknown> };
  const evaluation = (doc.evaluation ??= {});
  const target = where === 'ci' ? ((evaluation.ci ??= {}) as Record<string, unknown>) : evaluation;
  Object.assign(target, result);
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}

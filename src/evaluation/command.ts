/**
 * `uniad-edge evaluate`: scores an ONNX model through the runtime's inference path on a benchmark build and/or an
 * unseen-defect build, prints per-class image and pixel AUROC and their means, and writes the sidecar's
 * `evaluation` block as JSON.
 */
import { writeFileSync } from 'node:fs';
import { InferenceEngine } from '../pipeline/engine.js';
import type { Logger } from '../types.js';
import { scoreFolder, type FolderScore } from './score-folder.js';

export interface EvaluateOptions {
  readonly model: string;
  /** Key in the output (`benchmark`, `unseenDefects`) → folder in MVTec AD layout. */
  readonly sets: Readonly<Record<string, string>>;
  readonly out?: string;
  readonly threads?: number;
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
  return lines;
}

/** Runs the evaluation; resolves to the `evaluation` block it printed and (with `out`) wrote. */
export async function evaluateModel(options: EvaluateOptions): Promise<Record<string, FolderScore>> {
  const engine = await InferenceEngine.open({ modelPath: options.model, providers: ['cpu'], threads: options.threads ?? 0, logger: options.logger });
  const result: Record<string, FolderScore> = {};
  try {
    for (const [name, folder] of Object.entries(options.sets)) {
      result[name] = await scoreFolder(engine, folder, {
        onClass: (cls, c) => options.logger.info('class scored', { set: name, cls, image: c.image, pixel: c.pixel }),
      });
      for (const line of formatTable(name, result[name])) options.print(line);
    }
  } finally {
    await engine.close();
  }
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(result, null, 1)}\n`);
  return result;
}

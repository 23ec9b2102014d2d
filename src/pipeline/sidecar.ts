import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { uniadError } from '../errors.js';
import type { ModelSidecar } from '../types.js';
import { describeIssues } from '../zod-issues.js';

const finite = z.number().finite();

// Unknown keys are ignored (not refused) so that a newer exporter can add fields without breaking deployed runtimes.
const schema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  input: z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
  classes: z.array(z.string().min(1)).nonempty('list at least one class the model was trained on'),
  thresholds: z.record(finite),
  defaultThreshold: finite,
  backbone: z.string().min(1),
  scoreStats: z.record(z.object({ mean: finite, std: finite, max: finite })).optional(),
  scorePool: z.number().int().positive().optional(),
  training: z.record(z.unknown()).optional(),
});

/** The sidecar of `x.onnx` is `x.json`, next to it. */
export function sidecarPathFor(modelPath: string): string {
  return modelPath.replace(/(\.onnx)?$/i, '.json');
}

/** Validates a parsed sidecar document; `path` only names it in errors. */
export function parseSidecar(doc: unknown, path: string): ModelSidecar {
  const result = schema.safeParse(doc);
  if (!result.success) throw uniadError('SIDECAR', path, describeIssues(result.error));
  const sidecar = result.data;
  const unknown = Object.keys(sidecar.thresholds).filter((c) => !sidecar.classes.includes(c));
  if (unknown.length > 0) {
    throw uniadError('SIDECAR', path, `thresholds: ${unknown.map((c) => `"${c}"`).join(', ')} not in classes [${sidecar.classes.join(', ')}]`);
  }
  return sidecar;
}

/** Reads and validates the sidecar that belongs to `modelPath`. */
export function loadSidecar(modelPath: string): ModelSidecar {
  const path = sidecarPathFor(modelPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (the exporter writes it next to the .onnx, same name)' : (err as Error).message;
    throw uniadError('SIDECAR', path, why);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw uniadError('SIDECAR', path, `not valid JSON: ${(err as Error).message}`);
  }
  return parseSidecar(doc, path);
}

/**
 * The side of the model's score pooling window (types.ts `scorePool`): the sidecar's, else the training config
 * models.uniad's exporter recorded before the field existed (`training.config.score_pool`); undefined when neither
 * says it.
 */
export function scorePoolOf(sidecar: ModelSidecar): number | undefined {
  if (sidecar.scorePool !== undefined) return sidecar.scorePool;
  const config = sidecar.training?.config;
  const pool = config !== null && typeof config === 'object' ? (config as Record<string, unknown>).score_pool : undefined;
  return typeof pool === 'number' && Number.isInteger(pool) && pool > 0 ? pool : undefined;
}

/** Reads and validates a thresholds file (what `uniad-edge calibrate` writes; types.ts `ThresholdsFile`). */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { uniadError } from '../errors.js';
import { thresholdProblem } from '../threshold-bounds.js';
import type { ThresholdsFile } from '../types.js';
import { describeIssues } from '../zod-issues.js';

const threshold = z.number().refine((t) => thresholdProblem(t) === undefined, (t) => ({ message: `${t} ${thresholdProblem(t)}` }));

const schema = z.object({
  model: z.string().min(1),
  targetFalseReject: z.number().gt(0).lt(1),
  products: z.record(threshold),
  cameras: z.record(z.record(threshold)).default({}),
  regions: z.record(z.record(z.record(threshold))).optional(),
});

export function parseThresholdsFile(doc: unknown, path: string): ThresholdsFile {
  const result = schema.safeParse(doc);
  if (!result.success) throw uniadError('THRESHOLDS_FILE', path, describeIssues(result.error));
  return result.data;
}

export function loadThresholdsFile(path: string): ThresholdsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw uniadError('THRESHOLDS_FILE', path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw uniadError('THRESHOLDS_FILE', path, `not valid JSON: ${(err as Error).message}`);
  }
  return parseThresholdsFile(doc, path);
}

/**
 * Thresholds set at run time over MQTT, kept in the state folder (`live-thresholds.json`) so they survive a restart;
 * and the recipes (`recipes.json`), which an embedded broker's retained message would not survive.
 * Written whole to a temporary file and renamed over the old one: a crash mid-write leaves the old file, never half
 * of one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { thresholdProblem } from '../threshold-bounds.js';
import type { Logger } from '../types.js';
import { describeIssues } from '../zod-issues.js';

export interface LiveThreshold {
  readonly camera: string;
  /** The product the camera inspected when it was set: it applies to that product only. */
  readonly product: string;
  /** The model it was set for: it applies to that model only. */
  readonly model: string;
  readonly threshold: number;
  /** Who set it: the broker-authenticated user, or what an external broker's client claimed. */
  readonly by: string;
  /** True when the embedded broker authenticated `by`; false when it is only claimed. */
  readonly verified: boolean;
  /** Epoch ms. */
  readonly at: number;
}

const entry = z.object({
  camera: z.string().min(1),
  product: z.string().min(1),
  model: z.string().min(1),
  threshold: z.number().refine((t) => thresholdProblem(t) === undefined, (t) => ({ message: `${t} ${thresholdProblem(t)}` })),
  by: z.string(),
  verified: z.boolean(),
  at: z.number(),
});
const fileSchema = z.object({ sets: z.array(z.unknown()) });

/** `sets` with `set` in place of any earlier set for the same camera, product and model. Pure. */
export function withLiveThreshold(sets: readonly LiveThreshold[], set: LiveThreshold): LiveThreshold[] {
  return [...sets.filter((s) => !(s.camera === set.camera && s.product === set.product && s.model === set.model)), set];
}

/**
 * The sets kept at `path`; none when there is no file. Each set is checked again as a command is (the bounds every
 * threshold keeps): one that is not valid is logged and left out, so a bad value in the file is never obeyed. A file
 * that cannot be read is reported and not used.
 */
export function loadLiveThresholds(path: string, logger: Logger): LiveThreshold[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.error('live thresholds not restored: cannot read the file', { path, error: (err as Error).message });
    return [];
  }
  let sets: unknown[];
  try {
    sets = fileSchema.parse(JSON.parse(text)).sets;
  } catch (err) {
    logger.error('live thresholds not restored: the file is not valid (thresholds set over MQTT before are lost; set them again)', { path, error: (err as Error).message.split('\n')[0] });
    return [];
  }
  return sets.flatMap((raw, i) => {
    const set = entry.safeParse(raw);
    if (set.success) return [set.data];
    logger.error('a live threshold was not restored: it is not valid (set it again over MQTT)', { path, set: i, error: describeIssues(set.error) });
    return [];
  });
}

export function saveLiveThresholds(path: string, sets: readonly LiveThreshold[]): void {
  writeJsonAtomic(path, { sets });
}

/** `doc` as JSON at `path`, whole or not at all: written to a temporary file, then renamed over the old one. */
export function writeJsonAtomic(path: string, doc: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Line → product of the recipes kept at `path` (recipes.json); none when there is no file or it is not valid. */
export function loadRecipes(path: string, logger: Logger): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const parsed = z.object({ recipes: z.record(z.string().min(1)) }).safeParse(doc);
  if (!parsed.success) {
    logger.error('recipes not restored: the file is not valid (send the recipe again)', { path });
    return new Map();
  }
  return new Map(Object.entries(parsed.data.recipes));
}

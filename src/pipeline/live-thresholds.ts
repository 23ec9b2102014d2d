/**
 * Thresholds set at run time over MQTT, kept in the state folder (`live-thresholds.json`) so they survive a restart.
 * Written whole to a temporary file and renamed over the old one: a crash mid-write leaves the old file, never half
 * of one.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../types.js';

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
  threshold: z.number().finite().positive(),
  by: z.string(),
  verified: z.boolean(),
  at: z.number(),
});
const fileSchema = z.object({ sets: z.array(entry) });

/** `sets` with `set` in place of any earlier set for the same camera, product and model. Pure. */
export function withLiveThreshold(sets: readonly LiveThreshold[], set: LiveThreshold): LiveThreshold[] {
  return [...sets.filter((s) => !(s.camera === set.camera && s.product === set.product && s.model === set.model)), set];
}

/** The sets kept at `path`; none when there is no file. A file that cannot be read is reported and not used. */
export function loadLiveThresholds(path: string, logger: Logger): LiveThreshold[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.error('live thresholds not restored: cannot read the file', { path, error: (err as Error).message });
    return [];
  }
  try {
    return fileSchema.parse(JSON.parse(text)).sets;
  } catch (err) {
    logger.error('live thresholds not restored: the file is not valid (thresholds set over MQTT before are lost; set them again)', { path, error: (err as Error).message.split('\n')[0] });
    return [];
  }
}

export function saveLiveThresholds(path: string, sets: readonly LiveThreshold[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ sets }, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * What a collect run did for each product: images it kept, frames each gate turned away, why it stopped. Printed,
 * and kept in `<dataset>/collect-summary.json` (one entry a product, the latest run's; a run for one product leaves the
 * others' entries as they were). Pure but for `writeSummary`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gateNames, type GateLimits, type GateName } from './gates/judge.js';

export type StopReason = 'target reached' | 'source ended' | 'frame limit' | 'interrupted';

export interface ProductSummary {
  readonly product: string;
  /** Where the frames came from: a camera source or the evidence archive. */
  readonly source: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly target: number;
  /** Good images of the product in the dataset after the run (those there before included). */
  readonly images: number;
  /** Frames this run judged, kept and turned away (by gate). */
  readonly seen: number;
  readonly kept: number;
  readonly rejected: Readonly<Record<GateName, number>>;
  readonly stopped: StopReason;
  readonly limits: GateLimits;
}

export const summaryFile = (dataset: string): string => join(dataset, 'collect-summary.json');

export const noRejects = (): Record<GateName, number> => Object.fromEntries(gateNames.map((g) => [g, 0])) as Record<GateName, number>;

/** `bottle: 100 images (kept 87 of 140 frames; duplicate 41, focus 12); target reached`. */
export function summaryLine(s: ProductSummary): string {
  const rejected = gateNames.filter((g) => s.rejected[g] > 0).map((g) => `${g} ${s.rejected[g]}`);
  return `${s.product}: ${s.images} images of ${s.target} (kept ${s.kept} of ${s.seen} frames${rejected.length > 0 ? `; rejected: ${rejected.join(', ')}` : ''}); ${s.stopped}`;
}

/** Merges `runs` into the dataset's summary file (written whole: a temporary file, then renamed). Returns its path. */
export function writeSummary(dataset: string, runs: readonly ProductSummary[]): string {
  const path = summaryFile(dataset);
  let products: Record<string, ProductSummary> = {};
  if (existsSync(path)) {
    try {
      products = (JSON.parse(readFileSync(path, 'utf8')) as { products?: Record<string, ProductSummary> }).products ?? {};
    } catch {
      // a summary that does not parse is replaced: it describes earlier runs only, the images are what count
    }
  }
  for (const run of runs) products[run.product] = run;
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify({ dataset, products }, null, 2)}\n`);
  renameSync(partial, path);
  return path;
}

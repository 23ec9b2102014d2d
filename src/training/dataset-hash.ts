/**
 * The dataset's fingerprint for the model card and the registry: a SHA-256 over every file the run used, each as its
 * path relative to the dataset and the SHA-256 of its bytes, in path order. Renaming, adding, removing or changing
 * one image changes it; copying the dataset elsewhere does not.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export function datasetHash(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const rel of files.map((f) => relative(root, f).split('\\').join('/')).sort()) {
    hash.update(`${rel}\0${createHash('sha256').update(readFileSync(join(root, rel))).digest('hex')}\n`);
  }
  return hash.digest('hex');
}

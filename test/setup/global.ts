/**
 * Builds the fixtures every suite may use, once a run, into test/.fixtures (git-ignored):
 * each helper listed here is idempotent and skips work whose output exists.
 */
import { mkdirSync } from 'node:fs';
import { fixturesDir } from './paths.js';
import { buildTinyModels } from './tiny-model.js';
import { buildTestVideo } from './video.js';

export default async function setup(): Promise<void> {
  mkdirSync(fixturesDir, { recursive: true });
  buildTinyModels();
  await buildTestVideo();
}

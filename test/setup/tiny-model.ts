/**
 * The tiny contract models (test/fixtures/make_tiny_model.py) every pipeline suite uses.
 * Built once into test/.fixtures/tiny/; rebuilt only when the generator script changes (its hash is stamped).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from './paths.js';

const script = join(repoRoot, 'test/fixtures/make_tiny_model.py');
const dir = join(fixturesDir, 'tiny');
const model = (variant: string) => join(dir, `tiny-${variant}.onnx`);

/** Input size (height = width) of every tiny model. */
export const tinySize = 64;

export const tinyModels = {
  /** Follows the contract; sidecar thresholds: bolt 0.5, nut 0.7, default 0.6. */
  ok: model('ok'),
  /** Same formula plus 4000 identity MatMuls: ~10 ms a frame on one core. */
  slow: model('slow'),
  floatInput: model('float-input'),
  nchw: model('nchw'),
  noAnomalyMap: model('no-anomaly-map'),
  fixedBatch: model('fixed-batch'),
  /** Valid graph, but its sidecar declares 128x128. */
  sidecarSize: model('sidecar-size'),
  /** Text bytes, not a protobuf. */
  notOnnx: model('not-onnx'),
  /** Follows the contract, but every score and map value is NaN. */
  nan: model('nan'),
  /** Finite scores, one NaN in every anomaly map. */
  nanMap: model('nan-map'),
  /** NaN for frames with a pixel darker than 1/4 of full scale (channel mean); the `ok` formula for brighter frames. */
  nanDark: model('nan-dark'),
} as const;

/** Debian's interpreter: it has python3-onnx; the pyenv python3 on PATH does not. */
const python = '/usr/bin/python3';

export function buildTinyModels(): void {
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex');
  const stamp = join(dir, '.stamp');
  const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && Object.values(tinyModels).every((p) => existsSync(p));
  if (fresh) return;
  execFileSync(python, [script, '--all', dir, '--size', String(tinySize)], { stdio: 'inherit' });
  writeFileSync(stamp, hash);
}

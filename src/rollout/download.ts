/**
 * A rollout's model and sidecar, downloaded over HTTP into a folder of the node and verified against the rollout's
 * sha256 before anything else reads them: a file whose hash differs is deleted and refused (ROLLOUT_HASH), so a
 * tampered or truncated model never reaches the registry. The sidecar lands beside the model, as the registry expects.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniadError } from '../errors.js';
import type { Rollout } from './message.js';

/** How long one file may take. */
const timeoutMs = 120_000;

async function fetchVerified(url: string, want: string, path: string): Promise<void> {
  let bytes: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw uniadError('ROLLOUT_DOWNLOAD', url, (err as Error).message);
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== want) throw uniadError('ROLLOUT_HASH', url, want, got);
  writeFileSync(path, bytes);
}

/** Downloads both files of `rollout` into `dir` (emptied first); returns the model's path. Nothing is left on refusal. */
export async function downloadRollout(rollout: Rollout, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const model = join(dir, `${rollout.version}.onnx`);
  try {
    await fetchVerified(rollout.model.url, rollout.model.sha256, model);
    await fetchVerified(rollout.sidecar.url, rollout.sidecar.sha256, join(dir, `${rollout.version}.json`));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return model;
}

/**
 * Where collect's frames come from: a camera through the runtime's own capture (sources/capture.ts: the same
 * GStreamer launch string, crop, scale and letterbox the service uses, so the dataset holds exactly what the
 * model will be shown), or the good samples the service kept in its evidence archive (`archive.goodSampleEvery`:
 * already the frames the model saw).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { concatMap, from, map, type Observable } from 'rxjs';
import { readPngRgb } from '../calibrate/read-image.js';
import { uniadError } from '../errors.js';
import { readEvidenceVerdict } from '../evidence/archive.js';
import { captureCamera, type CaptureCamera } from '../sources/capture.js';
import type { Logger } from '../types.js';
import type { CollectFrame } from './collect.js';

/** A camera's frames at `width` × `height` (the model's input), each of the camera's product. */
export function cameraCollectFrames(camera: CaptureCamera, size: { readonly width: number; readonly height: number }, logger: Logger): Observable<CollectFrame> {
  return captureCamera(camera, { ...size, logger }).pipe(map((frame) => ({ product: camera.product, image: frame })));
}

/** A good sample of the archive: its frame and what its verdict says. */
export interface ArchivedSample {
  readonly frame: string;
  readonly id: string;
  readonly product: string;
  readonly camera: string;
}

const dirsIn = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

/** The archive's good samples (verdict `ok`, not rejected), oldest day first; COLLECT_ARCHIVE when it cannot be read. */
export function archivedGoodSamples(archiveDir: string): ArchivedSample[] {
  let days: string[];
  try {
    days = dirsIn(archiveDir);
  } catch (err) {
    throw uniadError('COLLECT_ARCHIVE', archiveDir, `cannot be read: ${(err as Error).message}`);
  }
  return days.flatMap((day) =>
    dirsIn(join(archiveDir, day)).flatMap((name) => {
      const dir = join(archiveDir, day, name);
      let verdict: { id?: unknown; product?: unknown; camera?: unknown; reason?: unknown; reject?: unknown };
      try {
        verdict = readEvidenceVerdict(dir) as typeof verdict;
      } catch {
        return []; // an entry being written, or pruned, right now
      }
      if (verdict.reason !== 'ok' || verdict.reject !== false || typeof verdict.product !== 'string') return [];
      return [{ frame: join(dir, 'frame.png'), id: String(verdict.id), product: verdict.product, camera: String(verdict.camera) }];
    }),
  );
}

/** The archived good samples as frames; one that cannot be read (pruned meanwhile) is skipped with a warning. */
export function archiveSamplesAsFrames(samples: readonly ArchivedSample[], logger: Logger): Observable<CollectFrame> {
  return from(samples).pipe(
    concatMap((s) => {
      try {
        return [{ product: s.product, image: readPngRgb(s.frame) }];
      } catch (err) {
        logger.warn('collect: an archived good sample cannot be read; skipped', { id: s.id, frame: s.frame, error: (err as Error).message });
        return [];
      }
    }),
  );
}

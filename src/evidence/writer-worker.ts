/**
 * Worker-thread entry that encodes and writes evidence (archive.ts): PNG encoding of a frame and a heatmap takes
 * tens of milliseconds (a second for a 5 MP region), which on the main thread would hold back capture, batching and
 * MQTT under a burst of rejects. The thread runs at a lower priority (platform/background-thread.ts), so the encoding
 * also yields the cores to them.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { fitSide } from '../images/feed.js';
import { renderHeatmap } from '../images/heatmap.js';
import { encodeRgbPng } from '../images/png-encode.js';
import { lowerThreadPriority } from '../platform/background-thread.js';

/** One picture of the evidence, as `<file>.png`, and its heatmap as `<heatmapFile>.png` over it. */
export interface EvidenceImage {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** RGB, tightly packed; transferred. */
  readonly pixels: ArrayBuffer;
  readonly heatmap?: { readonly file: string; readonly map: ArrayBuffer; readonly mapWidth: number; readonly mapHeight: number; readonly threshold: number };
}

/** A frame's evidence, or (`partJson`) a part decision's. */
export type WriteJob = FrameJob | { readonly seq: number; readonly dir: string; readonly partJson: string };

interface FrameJob {
  readonly seq: number;
  readonly dir: string;
  readonly verdictJson: string;
  readonly images: readonly EvidenceImage[];
  /** Pictures larger than this a side are downscaled to it (the heatmap with them, so it stays aligned). */
  readonly maxSide: number;
}

/** `bytes`: the disk the entry takes, its folder's and its files' blocks (what the archive's size limit counts). */
export type WriteResult = { readonly seq: number; readonly bytes: number } | { readonly seq: number; readonly error: string; readonly code?: string };

lowerThreadPriority();
const port = parentPort!;

/** The PNG files of one picture: itself at most maxSide a side, and its heatmap at the same size over it. */
function pictures(image: EvidenceImage, maxSide: number): [string, Buffer][] {
  const frame = fitSide({ width: image.width, height: image.height, pixels: new Uint8Array(image.pixels) }, maxSide);
  const files: [string, Buffer][] = [[`${image.file}.png`, encodeRgbPng(frame.width, frame.height, frame.pixels)]];
  if (image.heatmap) {
    const { file, map, mapWidth, mapHeight, threshold } = image.heatmap;
    files.push([`${file}.png`, renderHeatmap({ map: new Float32Array(map), mapWidth, mapHeight, threshold, frame })]);
  }
  return files;
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (job: WriteJob) => {
  queue = queue.then(async () => {
    try {
      const files: [string, Buffer | string][] =
        'partJson' in job ? [['part.json', job.partJson]] : [['verdict.json', job.verdictJson], ...job.images.flatMap((image) => pictures(image, job.maxSide))];
      await mkdir(job.dir, { recursive: true });
      for (const [name, data] of files) await writeFile(join(job.dir, name), data);
      const stats = await Promise.all([job.dir, ...files.map(([name]) => join(job.dir, name))].map((p) => stat(p)));
      port.postMessage({ seq: job.seq, bytes: stats.reduce((s, st) => s + st.blocks * 512, 0) } satisfies WriteResult);
    } catch (err) {
      // what was written of a failed entry would hold disk nobody counts
      await rm(job.dir, { recursive: true, force: true }).catch(() => undefined);
      port.postMessage({ seq: job.seq, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code } satisfies WriteResult);
    }
  });
});

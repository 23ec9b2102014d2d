/**
 * Worker-thread entry that encodes and writes evidence (archive.ts): PNG encoding of a frame and a heatmap takes
 * tens of milliseconds, which on the main thread would hold back capture, batching and MQTT under a burst of rejects.
 * The thread runs at a lower priority (platform/background-thread.ts), so the encoding also yields the cores to them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../platform/background-thread.js';
import { renderHeatmap } from '../heatmap.js';
import { encodeRgbPng } from '../png-encode.js';

export interface WriteJob {
  readonly seq: number;
  readonly dir: string;
  readonly verdictJson: string;
  readonly width: number;
  readonly height: number;
  /** RGB, tightly packed; transferred. */
  readonly pixels: ArrayBuffer;
  readonly heatmap?: { readonly map: ArrayBuffer; readonly mapWidth: number; readonly mapHeight: number; readonly threshold: number };
}

export type WriteResult = { readonly seq: number; readonly bytes: number } | { readonly seq: number; readonly error: string };

lowerThreadPriority();
const port = parentPort!;

let queue: Promise<void> = Promise.resolve();
port.on('message', (job: WriteJob) => {
  queue = queue.then(async () => {
    try {
      const pixels = new Uint8Array(job.pixels);
      const files: [string, Buffer | string][] = [
        ['verdict.json', job.verdictJson],
        ['frame.png', encodeRgbPng(job.width, job.height, pixels)],
      ];
      if (job.heatmap) {
        const { map, mapWidth, mapHeight, threshold } = job.heatmap;
        files.push(['heatmap.png', renderHeatmap({ map: new Float32Array(map), mapWidth, mapHeight, threshold, frame: { width: job.width, height: job.height, pixels } })]);
      }
      await mkdir(job.dir, { recursive: true });
      for (const [name, data] of files) await writeFile(join(job.dir, name), data);
      port.postMessage({ seq: job.seq, bytes: files.reduce((s, [, d]) => s + Buffer.byteLength(d), 0) } satisfies WriteResult);
    } catch (err) {
      port.postMessage({ seq: job.seq, error: (err as Error).message } satisfies WriteResult);
    }
  });
});

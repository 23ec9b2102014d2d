import type { Worker } from 'node:worker_threads';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { readPngText } from '../../src/images/png-text.js';
import { render, type RenderJob } from '../../src/images/render-worker.js';
import { Renderer } from '../../src/images/renderer.js';
import { silentLogger } from '../../src/log.js';
import { backgroundNice } from '../../src/platform/background-thread.js';
import { threadNices, threadsAtNice } from '../setup/thread-nices.js';

const heatmapJob = (id: string, threshold = 0.5, width = 40, height = 30): RenderJob => ({
  kind: 'heatmap',
  id,
  input: { map: new Float32Array(16 * 16).map((_, i) => (i % 16) / 16), mapWidth: 16, mapHeight: 16, threshold, frame: { width, height, pixels: new Uint8Array(width * height * 3).fill(90) } },
});

describe('Renderer (heatmaps and feed images in a worker thread)', () => {
  let renderer: Renderer | undefined;
  afterEach(async () => {
    await renderer?.close(1000);
    renderer = undefined;
  });

  it('should give the same bytes as rendering on this thread, with the verdict id inside', async () => {
    renderer = new Renderer(silentLogger);
    const job = heatmapJob('cam1:r:3');
    const png = await renderer.render(job);
    expect(png).toEqual(render(job));
    expect(readPngText(png!)['uniad-id']).toBe('cam1:r:3');
    expect([PNG.sync.read(png!).width, PNG.sync.read(png!).height]).toEqual([40, 30]);
  });

  it.runIf(process.platform === 'linux')('should run its worker at a lower priority than the rest of the process', async () => {
    const before = threadsAtNice(backgroundNice);
    renderer = new Renderer(silentLogger);
    await renderer.render(heatmapJob('nice'));
    expect(threadsAtNice(backgroundNice)).toBe(before + 1);
    expect(threadNices().get(process.pid)).toBe(0);
  });

  it('should take no more than maxPending jobs and say so, keeping order for those it took', async () => {
    renderer = new Renderer(silentLogger, 2);
    const a = renderer.render(heatmapJob('a'));
    const b = renderer.render(heatmapJob('b'));
    expect(renderer.render(heatmapJob('c'))).toBeUndefined();
    const ids = (await Promise.all([a!, b!])).map((png) => readPngText(png)['uniad-id']);
    expect(ids).toEqual(['a', 'b']);
    expect(renderer.pending).toBe(0);
    expect(renderer.render(heatmapJob('d'))).toBeDefined();
  });

  it('should reject a job that cannot be rendered and go on with the next', async () => {
    renderer = new Renderer(silentLogger);
    await expect(renderer.render(heatmapJob('bad', -1))!).rejects.toThrow(/threshold must be > 0/);
    expect(readPngText((await renderer.render(heatmapJob('next')))!)['uniad-id']).toBe('next');
  });

  it('should fail the jobs of a worker that died and start a new one for the next job', async () => {
    const errors: string[] = [];
    renderer = new Renderer({ ...silentLogger, error: (msg: string) => errors.push(msg) });
    await renderer.render(heatmapJob('first'));
    // large enough to be still rendering when the worker goes
    const waiting = renderer.render(heatmapJob('lost', 0.5, 1600, 1200))!;
    // the worker is private: end it the way a crash would, from outside
    await (renderer as unknown as { worker: Worker }).worker.terminate();
    await expect(waiting).rejects.toThrow(/image renderer stopped/);
    expect(errors).toEqual(['image renderer stopped; a new one starts with the next image']);
    expect(readPngText((await renderer.render(heatmapJob('after')))!)['uniad-id']).toBe('after');
  });
});

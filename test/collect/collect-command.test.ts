/**
 * `uniad-edge collect` as a user runs it: a real process, real GStreamer capture from a file and a test source. The
 * frames it keeps are exactly those the service's capture delivers for the same camera (same launch string, crop
 * and letterbox), the tree is the one training reads, the summary is printed and written; a line standing still
 * ends short of the target with COLLECT_TOO_FEW; bad input is refused before anything is captured.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngRgb } from '../../src/calibrate/read-image.js';
import { collect } from '../../src/commands/collect.js';
import { silentLogger } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import { readDataset } from '../../src/training/dataset.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels, tinySize } from '../setup/tiny-model.js';
import { part, writePng } from './crafted-frames.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const dir = mkdtempSync(join(tmpdir(), 'uniad-collect-cli-'));
const env = { ...process.env, STATE_DIRECTORY: join(dir, 'state') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: dir, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** 4:3 colour bars sliding 6 pixels a frame: every frame a new picture. */
const video = join(dir, 'bars-320x240.mp4');
beforeAll(() => {
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=30', 'pattern=smpte', 'horizontal-speed=6', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!', 'x264enc', 'speed-preset=ultrafast', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${video}`]);
});

/** The first `n` frames the service's own capture delivers for a camera on `video`. */
const serviceFrames = (n: number, size: number, crop?: { x: number; y: number; width: number; height: number }) =>
  lastValueFrom(captureCamera({ id: 'cam', line: 'l', product: 'bars', spec: { kind: 'file', path: video }, loop: false, watchdogSeconds: 30, ...(crop ? { crop } : {}) }, { width: size, height: size, logger: silentLogger }).pipe(take(n), toArray()));

describe('uniad-edge collect', () => {
  it('should collect a camera to its target, each image the frame the service sees, and print and write the summary', async () => {
    const data = join(dir, 'from-source');
    const r = await cli('collect', '--data', data, '--source', video, '--product', 'bars', '--count', '12');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`bars: 12 images of 12 (kept 12 of 12 frames); target reached\nwrote ${join(data, 'collect-summary.json')}\n`);
    expect(r.stderr).toMatch(/\] 12\/12 100 % {2}bars: 12 frames seen\n$/);
    const good = join(data, 'bars/train/good');
    expect(readdirSync(good)).toEqual(Array.from({ length: 12 }, (_, i) => `${String(i + 1).padStart(4, '0')}.png`));
    const frames = await serviceFrames(12, 224);
    frames.forEach((frame, i) => expect(readPngRgb(join(good, readdirSync(good)[i]!)), `image ${i + 1}`).toEqual({ width: 224, height: 224, pixels: frame.pixels }));
    const summary = JSON.parse(readFileSync(join(data, 'collect-summary.json'), 'utf8'));
    expect(summary).toMatchObject({ dataset: data, products: { bars: { source: video, target: 12, images: 12, seen: 12, kept: 12, rejected: { exposure: 0, empty: 0, focus: 0, duplicate: 0 }, stopped: 'target reached' } } });
    expect(readDataset(data).products.map((p) => [p.name, p.good.length])).toEqual([['bars', 12]]);
  });

  it("should take a config's camera with its crop at its model's input size, as the service does", async () => {
    const crop = { x: 40, y: 0, width: 240, height: 240 };
    const config = join(dir, 'line.yaml');
    writeFileSync(config, JSON.stringify({ cameras: [{ id: 'cam1', line: 'l', product: 'bars', source: video, crop }], model: { path: tinyModels.ok } }));
    const data = join(dir, 'from-config');
    const r = await cli('collect', '--data', data, '--config', config, '--camera', 'cam1', '--count', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`bars: 3 images of 3 (kept 3 of 3 frames); target reached`);
    const good = join(data, 'bars/train/good');
    const frames = await serviceFrames(3, tinySize, crop);
    frames.forEach((frame, i) => expect(readPngRgb(join(good, readdirSync(good)[i]!))).toEqual({ width: tinySize, height: tinySize, pixels: frame.pixels }));
  });

  it('should end a line that stands still short of its target, every repeat counted as a duplicate, with COLLECT_TOO_FEW', async () => {
    const data = join(dir, 'still');
    const r = await cli('collect', '--data', data, '--source', 'test:smpte', '--product', 'bars', '--count', '5', '--max-frames', '20');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('bars: 1 images of 5 (kept 1 of 20 frames; rejected: duplicate 19); frame limit\n');
    expect(r.stderr).toContain('uniad-edge: collect: too few good images: bars has 1; a product needs at least 30 (20 to train on, 10 held out to calibrate) to train');
    expect(JSON.parse(readFileSync(join(data, 'collect-summary.json'), 'utf8')).products.bars).toMatchObject({ images: 1, rejected: { duplicate: 19 }, stopped: 'frame limit' });
  });

  it('should refuse a mixed-up dataset folder and a source without its product before capturing anything', async () => {
    const data = join(dir, 'mixed-up');
    writePng(data, 'loose', part());
    const mixed = await cli('collect', '--data', data, '--source', 'test:smpte', '--product', 'bars');
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toContain(`train: dataset "${data}": it holds 1 images directly (loose.png); each product needs its own folder: mkdir -p ${data}/<product>/train/good`);
    expect(readdirSync(data)).toEqual(['loose.png']);
    const noProduct = await cli('collect', '--data', join(dir, 'x'), '--source', 'test:smpte');
    expect(noProduct.code).toBe(2);
    expect(noProduct.stderr).toContain('--source needs --product NAME');
  });
});

describe('collect bad input (the handler, for its error codes)', () => {
  const values = (over: Partial<Parameters<typeof collect.handler>[0]>) =>
    ({ data: join(dir, 'codes'), source: undefined, product: undefined, crop: undefined, size: undefined, config: undefined, camera: undefined, 'from-archive': false, 'state-dir': undefined, count: undefined, 'max-frames': undefined, 'min-focus': undefined, 'min-mean': undefined, 'max-mean': undefined, 'max-clipped': undefined, 'min-contrast': undefined, 'empty-reference': undefined, 'min-changed': undefined, 'duplicate-distance': undefined, 'log-level': undefined, ...over }) as Parameters<typeof collect.handler>[0];

  it('should give COLLECT_ARCHIVE for an archive without good samples, naming the setting that keeps them', async () => {
    const state = join(dir, 'empty-state');
    mkdirSync(join(state, 'archive'), { recursive: true });
    await expect(collect.handler(values({ 'from-archive': true, 'state-dir': state }), [])).rejects.toMatchObject({
      code: 'COLLECT_ARCHIVE',
      message: expect.stringContaining(`collect: the evidence archive "${join(state, 'archive')}" holds no good samples (the service keeps 1 good frame in archive.goodSampleEvery`),
    });
  });

  it('should give COLLECT_TOO_FEW when a product ends short of its target and of what training needs', async () => {
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      await expect(collect.handler(values({ data: join(dir, 'too-few'), source: 'test:smpte', product: 'bars', count: '3', 'max-frames': '4' }), [])).rejects.toMatchObject({ code: 'COLLECT_TOO_FEW', message: expect.stringContaining('bars has 1') });
    } finally {
      process.stdout.write = write;
    }
  });

  it('should refuse two frame sources at once, an unknown camera, a crop that is not one and an empty-station picture of another size', async () => {
    await expect(collect.handler(values({ source: 'test:smpte', 'from-archive': true }), [])).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('give one of --source URI --product NAME, --config FILE --camera ID, or --from-archive (got --source and --from-archive)') });
    const config = join(dir, 'one-camera.yaml');
    writeFileSync(config, JSON.stringify({ cameras: [{ id: 'cam1', line: 'l', product: 'bars', source: 'test:smpte' }], model: { path: tinyModels.ok } }));
    await expect(collect.handler(values({ config, camera: 'cam9' }), [])).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--camera: the config has no camera "cam9" (it has cam1)') });
    await expect(collect.handler(values({ source: 'test:smpte', product: 'bars', crop: '10,10,0,5' }), [])).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--crop must be X,Y,WIDTH,HEIGHT') });
    const reference = writePng(join(dir, 'refs'), 'station', part());
    await expect(collect.handler(values({ source: 'test:smpte', product: 'bars', size: '64x64', 'empty-reference': reference }), [])).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(`--empty-reference "${reference}" is 224x224, the frames are 64x64`) });
  });
});

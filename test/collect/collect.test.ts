/**
 * collectFrames into a real dataset folder, with crafted frames: the tree training reads, numbering that goes on
 * from the images already there (which also count for the duplicate gate and the target), the summary per product
 * and its file, frames from the evidence archive's good samples (written by the real archive), and bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, NEVER, Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readPngRgb } from '../../src/calibrate/read-image.js';
import { collectFrames, type CollectFrame, type CollectOptions } from '../../src/collect/collect.js';
import { archivedGoodSamples, archiveSamplesAsFrames } from '../../src/collect/frame-sources.js';
import { defaultGateLimits } from '../../src/collect/gates/judge.js';
import { checkDatasetFolder, checkProductName } from '../../src/collect/product-folder.js';
import { summaryFile, summaryLine, writeSummary } from '../../src/collect/summary.js';
import { EvidenceArchive } from '../../src/evidence/archive.js';
import { silentLogger } from '../../src/log.js';
import { readDataset } from '../../src/training/dataset.js';
import type { Decision } from '../../src/types.js';
import { decision } from '../sinks/fixtures.js';
import { belt, blurred, exposed, noisy, part, writePng } from './crafted-frames.js';

const root = mkdtempSync(join(tmpdir(), 'uniad-collect-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDataset = () => join(root, `data-${n++}`);

const options = (dataset: string, over: Partial<CollectOptions> = {}): CollectOptions => ({ dataset, source: 'crafted', target: 4, maxFrames: 50, limits: defaultGateLimits, logger: silentLogger, ...over });
const frame = (product: string, image = part()): CollectFrame => ({ product, image });
/** A different washer position each time: new pictures. */
const moved = (i: number) => part(i + 1, 80 + 12 * i, 112);

describe('collectFrames', () => {
  it('should keep the good frames as NNNN.png in <dataset>/<product>/train/good, count each rejection by its gate, and stop at the target', async () => {
    const dataset = freshDataset();
    const frames = [frame('washer', moved(0)), frame('washer', blurred(moved(1), 3)), frame('washer', exposed(moved(1), 0.1)), frame('washer', belt(3)), frame('washer', noisy(moved(0), 5, 9)), frame('washer', moved(1)), frame('washer', moved(2)), frame('washer', moved(3)), frame('washer', moved(4))];
    const progress: string[] = [];
    const [run] = await collectFrames(from(frames), options(dataset, { products: ['washer'], progress: (done, total, label) => progress.push(`${done}/${total} ${label}`) }));
    expect(run).toMatchObject({ product: 'washer', source: 'crafted', target: 4, images: 4, seen: 8, kept: 4, rejected: { focus: 1, exposure: 1, empty: 1, duplicate: 1 }, stopped: 'target reached' });
    // the ninth frame was not taken: the target was reached with the eighth
    expect(readdirSync(join(dataset, 'washer/train/good'))).toEqual(['0001.png', '0002.png', '0003.png', '0004.png']);
    expect(readPngRgb(join(dataset, 'washer/train/good/0002.png')).pixels).toEqual(moved(1).pixels);
    expect(progress.at(-1)).toBe('4/4 washer: 8 frames seen, rejected exposure 1, empty 1, focus 1, duplicate 1');
    expect(summaryLine(run!)).toBe('washer: 4 images of 4 (kept 4 of 8 frames; rejected: exposure 1, empty 1, focus 1, duplicate 1); target reached');
    expect(readDataset(dataset).products.map((p) => [p.name, p.good.length])).toEqual([['washer', 4]]);
  });

  it('should number on from the images already there, count them towards the target, and stop repeats of them', async () => {
    const dataset = freshDataset();
    writePng(join(dataset, 'washer/train/good'), '0007', moved(0));
    const [run] = await collectFrames(from([frame('washer', noisy(moved(0), 4, 3)), frame('washer', moved(1)), frame('washer', moved(2)), frame('washer', moved(3))]), options(dataset, { products: ['washer'], target: 3 }));
    expect(run).toMatchObject({ images: 3, kept: 2, seen: 3, rejected: { duplicate: 1 }, stopped: 'target reached' });
    expect(readdirSync(join(dataset, 'washer/train/good'))).toEqual(['0007.png', '0008.png', '0009.png']);
  });

  it('should take no frame for a product at its target already, and end with "source ended" or "frame limit" short of it', async () => {
    const full = freshDataset();
    for (let i = 0; i < 2; i++) writePng(join(full, 'washer/train/good'), `000${i + 1}`, moved(i));
    const never = await collectFrames(NEVER, options(full, { products: ['washer'], target: 2 }));
    expect(never).toMatchObject([{ images: 2, seen: 0, kept: 0, stopped: 'target reached' }]);

    const ended = await collectFrames(from([frame('washer', moved(0))]), options(freshDataset(), { products: ['washer'] }));
    expect(ended).toMatchObject([{ images: 1, stopped: 'source ended' }]);
    const limited = await collectFrames(from(Array.from({ length: 10 }, () => frame('washer', moved(0)))), options(freshDataset(), { products: ['washer'], maxFrames: 5 }));
    expect(limited).toMatchObject([{ images: 1, seen: 5, rejected: { duplicate: 4 }, stopped: 'frame limit' }]);
  });

  it('should stop at an interrupt and keep what it kept', async () => {
    const dataset = freshDataset();
    const frames = new Subject<CollectFrame>();
    const stop = new Subject<void>();
    const done = collectFrames(frames, options(dataset, { products: ['washer'], stop }));
    frames.next(frame('washer', moved(0)));
    frames.next(frame('washer', moved(1)));
    stop.next();
    frames.next(frame('washer', moved(2)));
    expect(await done).toMatchObject([{ images: 2, kept: 2, stopped: 'interrupted' }]);
    expect(frames.observed).toBe(false);
  });

  it('should write the summary next to the dataset, one entry a product, a later run replacing only its own products', async () => {
    const dataset = freshDataset();
    const first = await collectFrames(from([frame('washer', moved(0)), frame('bolt', moved(1))]), options(dataset));
    const path = writeSummary(dataset, first);
    expect(path).toBe(summaryFile(dataset));
    const second = await collectFrames(from([frame('bolt', moved(2))]), options(dataset));
    writeSummary(dataset, second);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { dataset: string; products: Record<string, { images: number; kept: number; rejected: Record<string, number>; limits: unknown }> };
    expect(doc.dataset).toBe(dataset);
    expect(Object.keys(doc.products).sort()).toEqual(['bolt', 'washer']);
    expect(doc.products['washer']).toMatchObject({ images: 1, kept: 1 });
    expect(doc.products['bolt']).toMatchObject({ images: 2, kept: 1, rejected: { exposure: 0, empty: 0, focus: 0, duplicate: 0 }, limits: defaultGateLimits });
  });
});

describe('collect from the evidence archive', () => {
  /** A passed frame of `product` as the service decides it, with `image` as its pixels. */
  const passed = (seq: number, product: string, image = moved(seq)): Decision => {
    const d = decision(seq, false);
    return { frame: { ...d.frame, product, ...image }, verdict: { ...d.verdict, product } };
  };

  it("should take every product's good samples the real archive kept, and no reject", async () => {
    const archiveDir = join(root, 'archive');
    const archive = new EvidenceArchive({ dir: archiveDir, maxBytes: 1e9, maxAgeMs: 1e12, goodSampleEvery: 1, logger: silentLogger });
    archive.record(passed(1, 'washer'));
    archive.record(passed(2, 'washer', blurred(moved(2), 3)));
    archive.record(passed(3, 'bolt'));
    const reject = decision(4, true);
    archive.record({ ...reject, frame: { ...reject.frame, ...moved(4) } });
    await archive.close();
    const samples = archivedGoodSamples(archiveDir);
    expect(samples.map((s) => [s.id, s.product]).sort()).toEqual([['cam1:s1:1', 'washer'], ['cam1:s1:2', 'washer'], ['cam1:s1:3', 'bolt']]);
    const dataset = freshDataset();
    const runs = await collectFrames(archiveSamplesAsFrames(samples, silentLogger), options(dataset, { source: 'evidence archive' }));
    expect(runs.map((r) => [r.product, r.kept, r.rejected.focus, r.stopped]).sort()).toEqual([['bolt', 1, 0, 'source ended'], ['washer', 1, 1, 'source ended']]);
    // the archive's frame is the frame as the service took it, to the pixel
    expect(readPngRgb(join(dataset, 'washer/train/good/0001.png')).pixels).toEqual(moved(1).pixels);
  });

  it('should give COLLECT_ARCHIVE for an archive that cannot be read', () => {
    const missing = join(root, 'no-archive');
    expect(() => archivedGoodSamples(missing)).toThrow(expect.objectContaining({ code: 'COLLECT_ARCHIVE', message: expect.stringContaining(`collect: the evidence archive "${missing}" cannot be read`) }));
  });
});

describe('bad input', () => {
  it('should refuse a mixed-up dataset folder, naming each misplaced image and the move that fixes it', () => {
    const dataset = freshDataset();
    mkdirSync(join(dataset, 'washer'), { recursive: true });
    writePng(dataset, 'loose', moved(0));
    writePng(join(dataset, 'washer'), 'stray', moved(1));
    expect(() => checkDatasetFolder(dataset)).toThrow(
      expect.objectContaining({ code: 'DATASET_LAYOUT', message: expect.stringMatching(/it holds 1 images directly \(loose\.png\); each product needs its own folder.*washer\/ holds 1 images directly; training reads washer\/train\/good\//) }),
    );
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(() => checkDatasetFolder(file)).toThrow(expect.objectContaining({ code: 'DATASET_LAYOUT', message: expect.stringContaining('not a folder') }));
  });

  it('should take an empty or new dataset folder', () => {
    const dataset = freshDataset();
    expect(() => checkDatasetFolder(dataset)).not.toThrow();
    mkdirSync(dataset);
    expect(() => checkDatasetFolder(dataset)).not.toThrow();
    expect(existsSync(join(dataset, 'washer'))).toBe(false);
  });

  it('should refuse a product name that cannot be a folder of the dataset', () => {
    for (const bad of ['', '../x', 'a/b', '.hidden', 'two words']) {
      expect(() => checkProductName(bad, '--product')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining(`--product must be a product name of letters, digits`) }));
    }
    expect(() => checkProductName('washer_M8-2.0', '--product')).not.toThrow();
  });
});

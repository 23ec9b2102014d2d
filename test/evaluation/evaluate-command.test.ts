/**
 * `uniad-edge evaluate` on a hand-made folder in MVTec AD layout, scored by the tiny contract model through the
 * runtime's InferenceEngine. The tiny model's map is |pixel/255 - 0.5| * 2 (test/fixtures/make_tiny_model.py), so the
 * AUROC of each class follows from how the images were drawn.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readPngRgb } from '../../src/calibrate/read-image.js';
import { evaluateModel } from '../../src/evaluation/evaluate.js';
import { readRgb } from '../../src/evaluation/dataset.js';
import { letterbox, letterboxMask } from '../../src/geometry/letterbox.js';
import { silentLogger } from '../../src/log.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels, tinySize } from '../setup/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'uniad-eval-'));
const n = tinySize;

function writePng(path: string, channels: 1 | 3, value: (x: number, y: number) => number): void {
  const png = new PNG({ width: n, height: n, colorType: channels === 1 ? 0 : 2, inputColorType: channels === 1 ? 0 : 2, inputHasAlpha: false });
  const data = Buffer.alloc(n * n * channels);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) data.fill(value(x, y), (y * n + x) * channels, (y * n + x + 1) * channels);
  png.data = data;
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2, inputColorType: channels === 1 ? 0 : 2, inputHasAlpha: false }));
}

const inSquare = (i: number) => (x: number, y: number) => x >= 8 + i && x < 20 + i && y >= 10 && y < 22;

// `seen`: grey parts; defects are a white square, so every defective image and defect pixel outranks every normal one.
// `faint`: the "defect" square is the same grey as the part, so the model cannot tell: AUROC 0.5 for images and pixels.
for (let i = 0; i < 4; i++) {
  writePng(join(root, 'seen/test/good', `00${i}.png`), 3, (x, y) => 128 + ((x + y + i) % 3));
  writePng(join(root, 'seen/test/spot', `00${i}.png`), 3, (x, y) => (inSquare(i)(x, y) ? 255 : 128));
  writePng(join(root, 'seen/ground_truth/spot', `00${i}_mask.png`), 1, (x, y) => (inSquare(i)(x, y) ? 255 : 0));
  writePng(join(root, 'faint/test/good', `00${i}.png`), 3, () => 128);
  writePng(join(root, 'faint/test/spot', `00${i}.png`), 3, () => 128);
  writePng(join(root, 'faint/ground_truth/spot', `00${i}_mask.png`), 1, (x, y) => (inSquare(i)(x, y) ? 255 : 0));
}
writeFileSync(join(root, 'benchmark.json'), JSON.stringify({ generator: 'hand-made', seed: 7, size: n, test_per_class: 8 }));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('evaluate command', () => {
  it('should score each class through the runtime and give the AUROC the images were drawn for', async () => {
    const printed: string[] = [];
    const out = join(root, 'evaluation.json');
    const result = await evaluateModel({ model: tinyModels.ok, sets: { benchmark: root }, out, threads: 1, logger: silentLogger, print: (l) => printed.push(l) });
    const bench = result.benchmark!;
    expect(bench.perClass.seen).toMatchObject({ image: 100, pixel: 100, images: 8, defective: 4 });
    expect(bench.perClass.faint).toMatchObject({ image: 50, pixel: 50, images: 8, defective: 4 });
    expect(bench.perKind).toEqual({ spot: { image: 75, pixel: 75 } });
    expect(bench).toMatchObject({ seed: 7, imageAuroc: 75, pixelAuroc: 75, images: 16, build: { generator: 'hand-made', size: n, testPerClass: 8 } });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    expect(printed.join('\n')).toMatch(/^seen\s+100\.0\s+100\.0$/m);
    expect(printed.join('\n')).toMatch(/^mean\s+75\.0\s+75\.0$/m);
  });

  it('should letterbox images and masks of another size than the model input, as calibration and the cameras do', async () => {
    // 2n x n parts: fitted into n x n they fill rows n/4 .. 3n/4, black above and below
    const [wide, fitted] = [join(root, 'wide'), join(root, 'fitted')];
    const write = (path: string, width: number, height: number, rgb: (i: number) => number[]) => {
      const png = new PNG({ width, height });
      for (let i = 0; i < width * height; i++) png.data.set([...rgb(i), 255], i * 4);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, PNG.sync.write(png));
    };
    const draw = (value: (x: number, y: number) => number) => {
      const pixels = new Uint8Array(2 * n * n * 3);
      for (let y = 0; y < n; y++) for (let x = 0; x < 2 * n; x++) pixels.fill(value(x, y), (y * 2 * n + x) * 3, (y * 2 * n + x + 1) * 3);
      return { width: 2 * n, height: n, pixels };
    };
    const spot = (i: number) => (x: number, y: number) => x >= 20 + 9 * i && x < 44 + 9 * i && y >= 20 && y < 44;
    for (let i = 0; i < 4; i++) {
      for (const [name, img] of [[`good/00${i}.png`, draw((x, y) => 128 + ((x + y + i) % 3))], [`spot/00${i}.png`, draw((x, y) => (spot(i)(x, y) ? 160 + 20 * i : 128))]] as const) {
        write(join(wide, 'x/test', name), img.width, img.height, (k) => [...img.pixels.subarray(k * 3, k * 3 + 3)]);
        const small = letterbox(img, n, n);
        write(join(fitted, 'x/test', name), n, n, (k) => [...small.pixels.subarray(k * 3, k * 3 + 3)]);
      }
      const mask = draw((x, y) => (spot(i)(x, y) ? 255 : 0));
      write(join(wide, `x/ground_truth/spot/00${i}_mask.png`), mask.width, mask.height, (k) => [mask.pixels[k * 3]!, 0, 0]);
      const values = letterboxMask({ width: mask.width, height: mask.height, values: mask.pixels.filter((_, k) => k % 3 === 0) }, n, n);
      write(join(fitted, `x/ground_truth/spot/00${i}_mask.png`), n, n, (k) => [values[k]!, 0, 0]);
    }
    const path = join(wide, 'x/test/spot/003.png');
    expect(readRgb(path, n, n)).toEqual(letterbox(readPngRgb(path), n, n).pixels); // calibration's letterbox
    const evaluate = (dir: string) => evaluateModel({ model: tinyModels.ok, sets: { benchmark: dir }, logger: silentLogger, print: () => {} });
    const [big, small] = await Promise.all([evaluate(wide), evaluate(fitted)]);
    console.log(`2n x n images, letterboxed: ${JSON.stringify(big.benchmark!.perClass)}`);
    expect(big.benchmark!.perClass).toEqual(small.benchmark!.perClass);
    expect(big.benchmark!.perClass.x).toMatchObject({ images: 8, defective: 4 });
  });

  it('should merge its result into the sidecar, under evaluation or evaluation.ci, keeping the rest', async () => {
    const model = join(root, 'copy.onnx');
    writeFileSync(model, readFileSync(tinyModels.ok));
    const original = JSON.parse(readFileSync(tinyModels.ok.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(root, 'copy.json'), JSON.stringify({ ...original, evaluation: { demoLine: { partRecall: 1 } } }));
    const run = (writeSidecar: 'evaluation' | 'ci') => evaluateModel({ model, sets: { unseenDefects: root }, writeSidecar, logger: silentLogger, print: () => {} });
    await run('evaluation');
    await run('ci');
    const doc = JSON.parse(readFileSync(join(root, 'copy.json'), 'utf8')) as Record<string, any>;
    expect(doc.thresholds).toEqual(original.thresholds);
    expect(doc.evaluation.demoLine).toEqual({ partRecall: 1 });
    expect(doc.evaluation.unseenDefects).toMatchObject({ imageAuroc: 75, pixelAuroc: 75, seed: 7 });
    expect(doc.evaluation.ci.unseenDefects).toMatchObject({ imageAuroc: 75, pixelAuroc: 75 });
  });

  it('should run as `uniad-edge evaluate` and say what it needs when a folder is missing', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'evaluate', ...args], { encoding: 'utf8' });
    const ok = cli(['--model', tinyModels.ok, '--benchmark', root, '--threads', '1']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^benchmark \(16 images, seed 7\): AUROC %$/m);
    const none = cli(['--model', tinyModels.ok]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/needs --benchmark DIR, --unseen DIR or --line FILE/);
    const missing = cli(['--model', tinyModels.ok, '--unseen', join(root, 'nope')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope" no such folder/);
  });
});

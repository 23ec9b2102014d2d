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
import { evaluateModel } from '../../src/evaluation/command.js';
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

  it('should refuse images of another size than the model input, naming the file and the fix', async () => {
    const other = join(root, 'big');
    writePng(join(other, 'x/test/good/000.png'), 3, () => 0);
    const big = new PNG({ width: n * 2, height: n });
    mkdirSync(join(other, 'x/test/bad'), { recursive: true });
    writeFileSync(join(other, 'x/test/bad/000.png'), PNG.sync.write(big));
    await expect(evaluateModel({ model: tinyModels.ok, sets: { benchmark: other }, logger: silentLogger, print: () => {} }))
      .rejects.toThrow(/bad\/000\.png" is 128x64, the model takes 64x64 .*build the data at the model's input size/);
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

/**
 * `uniad-edge train` as a user runs it: a real process, real Python (Debian's torch), the tiny preset on a small
 * dataset — two processes on gloo, as --nproc 2 trains — and a model the runtime then loads and scores. Its bad-input
 * and failure paths through trainModel itself, each with its error code.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { loadSidecar } from '../../src/pipeline/sidecar.js';
import { loadThresholdsFile } from '../../src/pipeline/thresholds-file.js';
import { trainModel, type TrainOptions } from '../../src/training/train.js';
import { repoRoot } from '../setup/paths.js';
import { writeDataset } from './dataset-fixture.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const dir = mkdtempSync(join(tmpdir(), 'uniad-train-'));
const env = { ...process.env, STATE_DIRECTORY: join(dir, 'state'), OMP_NUM_THREADS: '1' };
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

const data = join(dir, 'data');
const tiny = ['--preset', 'tiny', '--allow-random-backbone', '--epochs', '2', '--batch-size', '8', '--threads', '1'];

/** trainModel's options for the tiny preset, as the command would pass them. */
const options = (over: Partial<TrainOptions>): TrainOptions => ({
  data, out: join(dir, 'lib-out'), name: 'tiny', version: '1', preset: 'tiny', recipe: { epochs: 1, batchSize: 8, lr: 1e-3, lrStep: 1, seed: 0 },
  holdout: 0.2, targetFalseReject: 0.01, nproc: 1, threads: 1, python: '/usr/bin/python3', resume: false, allowRandomBackbone: true,
  logger: silentLogger, say: () => {}, ...over,
});

beforeAll(() => writeDataset(data, { stripes: { good: 32, testGood: 4, testDefective: 4 }, checker: { good: 30, testDefective: 4 } }));

describe('uniad-edge train', () => {
  it('should train on two processes, calibrate, export, score the held-out split and write a card the runtime agrees with', async () => {
    const out = join(dir, 'out');
    const r = await cli('train', '--data', data, '--out', out, '--name', 'parts', '--version', '1.2.0', '--nproc', '2', ...tiny);
    expect(r.stderr).toContain('2 products, 42 training images, 20 held out to calibrate; checking every image');
    expect(r.stderr).toMatch(/training on the CPU: torch \S+ sees no CUDA device \(2 processes\)/);
    expect(r.stderr).toContain('TRAINING ON A RANDOMLY INITIALISED BACKBONE');
    expect(r.stderr).toMatch(/\] 12\/12 100 % {2}epoch 2\/2\n/); // 42 images in batches of 8: 6 steps an epoch
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*parts\.onnx \(and its sidecar\), .*parts\.md, .*thresholds\.json; held-out mean AUROC image [\d.]+, pixel [\d.]+\n$/);

    const sidecar = loadSidecar(join(out, 'parts.onnx'));
    const doc = JSON.parse(readFileSync(join(out, 'parts.json'), 'utf8')) as { training: Record<string, any>; evaluation: { heldOut: { perClass: Record<string, { images: number; defective: number }> } } };
    expect(sidecar).toMatchObject({ name: 'parts', version: '1.2.0', classes: ['checker', 'stripes'], input: { height: 64, width: 64 } });
    // The runtime's calibration set the thresholds the sidecar carries.
    const thresholds = loadThresholdsFile(join(out, 'thresholds.json'));
    expect(sidecar.thresholds).toEqual(thresholds.products);
    expect(sidecar.defaultThreshold).toBe(Math.max(...Object.values(thresholds.products)));
    expect(doc.training.recipe).toMatchObject({ epochs: 2, processes: 2 });
    expect(doc.training.run).toMatchObject({ processes: 2, device: 'cpu' });
    expect(doc.training.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    // checker has no test/good: its held-out good images are its calibration images.
    expect(doc.evaluation.heldOut.perClass).toMatchObject({ checker: { images: 14, defective: 4 }, stripes: { images: 8, defective: 4 } });

    const card = readFileSync(join(out, 'parts.md'), 'utf8');
    expect(card).toContain('# Model card — `parts` 1.2.0');
    expect(card).toContain('| checker | 20 | 10 | 10 (the calibration images) | 4 |');
    expect(card).toContain('| stripes | 22 | 10 | 4 | 4 |');
    expect(card).toContain(`sha256 \`${doc.training.dataset.sha256}\``);
    expect(card).toMatch(/\| time taken \| \d+ s in all, \d+ s of it training \|/);
    expect(card).toContain('cpu, 2 processes');
    expect(card).toContain('## Held-out results');
    expect(card).toContain('The backbone was randomly initialised');

    // The runtime loads the model (check) and scores the staged held-out split to the numbers the card shows.
    const config = join(dir, 'check.yaml');
    writeFileSync(config, `cameras:\n  - { id: cam1, line: line1, product: stripes, source: "test:ball", fps: 5 }\nmodel: { path: "${join(out, 'parts.onnx')}", providers: [cpu] }\n`);
    const checked = await cli('check', '--config', config);
    expect(checked.stdout).toBe('config and model OK: 1 camera(s), model parts@1.2.0 on cpu\n');
    const evaluated = await cli('evaluate', '--model', join(out, 'parts.onnx'), '--benchmark', join(out, 'run', 'stage', 'evaluation'), '--out', join(dir, 'eval.json'));
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { benchmark: unknown };
    expect(again.benchmark).toEqual(JSON.parse(JSON.stringify((doc.evaluation as Record<string, unknown>).heldOut)));

    // A second run into the same folder must say --resume; with it, the finished run is exported again as it is.
    expect((await cli('train', '--data', data, '--out', out, ...tiny)).stderr).toContain('already holds a training run');
    const resumed = await cli('train', '--data', data, '--out', out, '--name', 'parts', '--version', '1.2.0', '--resume', ...tiny);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(loadSidecar(join(out, 'parts.onnx')).thresholds).toEqual(sidecar.thresholds);
  }, 180_000);
});

describe('uniad-edge train --backbone efficientnet-b4', () => {
  it('should ask for the weights file, and train on it when given, recording where the weights came from', async () => {
    const refused = await cli('train', '--data', data, '--out', join(dir, 'b4-none'), '--backbone', 'efficientnet-b4');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--backbone efficientnet-b4 needs --weights FILE');
    // A weights file in the layout the official UniAD uses (lukemelas), here random: what matters is that it is used.
    const weights = join(dir, 'b4.pth');
    execFileSync('/usr/bin/python3', ['-c', `import torch; from models.uniad.backbones import create_backbone; torch.manual_seed(0); torch.save(create_backbone("efficientnet_b4", taps=[1, 5, 9]).state_dict(), "${weights}")`], { cwd: repoRoot, env: { ...env, PYTHONPATH: repoRoot } });
    const out = join(dir, 'b4');
    const r = await cli('train', '--data', data, '--out', out, '--backbone', 'efficientnet-b4', '--weights', weights, '--preset', 'tiny', '--epochs', '1', '--batch-size', '8', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('RANDOMLY INITIALISED');
    expect(readFileSync(join(out, 'uniad.md'), 'utf8')).toContain(`| backbone | preset \`tiny\`, \`efficientnet_b4\`, weights lukemelas:${weights} |`);
  }, 120_000);
});

describe('training errors', () => {
  it('should give TRAIN_RESUME when the images changed since the run started, and when there is nothing to resume', async () => {
    const copy = join(dir, 'data-resume');
    writeDataset(copy, { stripes: { good: 30 } });
    const out = join(dir, 'resume-out');
    await expect(trainModel(options({ data: copy, out, resume: true }))).rejects.toMatchObject({ code: 'TRAIN_RESUME', message: expect.stringContaining('no checkpoint to continue') });
    await trainModel(options({ data: copy, out }));
    writeDataset(copy, { stripes: { good: 31 } });
    await expect(trainModel(options({ data: copy, out, resume: true }))).rejects.toMatchObject({ code: 'TRAIN_RESUME', message: expect.stringContaining('the images changed since the run started') });
  }, 120_000);

  it('should give DATASET_IMAGE listing every image that does not open, before training', async () => {
    const broken = join(dir, 'data-broken');
    writeDataset(broken, { stripes: { good: 30 } });
    writeFileSync(join(broken, 'stripes', 'train', 'good', '003.png'), 'not a png');
    writeFileSync(join(broken, 'stripes', 'train', 'good', '017.png'), readFileSync(join(broken, 'stripes', 'train', 'good', '016.png')).subarray(0, 200));
    const out = join(dir, 'broken-out');
    const error = (await trainModel(options({ data: broken, out })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'DATASET_IMAGE', message: expect.stringContaining('train: 2 images cannot be read: "') });
    expect(error.message).toContain('003.png" (UnidentifiedImageError');
    expect(error.message).toContain('017.png" (');
    expect(existsSync(join(out, 'run', 'last.pt'))).toBe(false);
  }, 60_000);

  it('should give TRAIN_FAILED with the step, its last lines and the log when training diverges', async () => {
    const out = join(dir, 'nan-out');
    const error = (await trainModel(options({ out, recipe: { epochs: 2, batchSize: 8, lr: 1e30, lrStep: 2, seed: 0 } })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TRAIN_FAILED', message: expect.stringContaining('train: the train step failed (exit 1)') });
    expect(error.message).toContain('training diverged (NaN loss); lower the learning rate');
    expect(error.message).toContain(join(out, 'run', 'train.log'));
  }, 60_000);

  it('should give TRAIN_PYTHON for an interpreter that does not start', async () => {
    await expect(trainModel(options({ out: join(dir, 'py-out'), python: join(dir, 'no-such-python') }))).rejects.toMatchObject({
      code: 'TRAIN_PYTHON',
      message: expect.stringContaining(`Python "${join(dir, 'no-such-python')}": no such program`),
    });
  });
});

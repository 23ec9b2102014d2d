/** The model card, the staging plan and the Python step's error lines: pure functions, on hand-made inputs. */
import { describe, expect, it } from 'vitest';
import type { FolderScore } from '../../src/evaluation/score-folder.js';
import { modelCard, type CardInput } from '../../src/training/card.js';
import { lastLines } from '../../src/training/python.js';
import { stagePlan } from '../../src/training/stage.js';
import { describeDevice } from '../../src/training/train.js';

const score: FolderScore = {
  seed: null, imageAuroc: 81.25, pixelAuroc: 90.5, images: 60, build: {}, perKind: {},
  perClass: { bolt: { image: 87.5, pixel: 95, images: 40, defective: 20 }, nut: { image: 75, pixel: 86, images: 20, defective: 10 } },
};

const input: CardInput = {
  name: 'line3', version: '2.0.0', createdAt: '2026-12-06T10:00:00.000Z', tool: 'uniad-edge 0.1.0 train',
  model: { file: 'line3.onnx', bytes: 7_300_000, sha256: 'ab'.repeat(32), sidecar: 'line3.json' },
  dataset: { path: '/data/line3', sha256: 'cd'.repeat(32) },
  images: [
    { product: 'bolt', train: 80, calibration: 20, testGood: 20, testDefective: 20, goodFromCalibration: false },
    { product: 'nut', train: 40, calibration: 10, testGood: 10, testDefective: 10, goodFromCalibration: true },
  ],
  preset: 'mobilenet', backbone: { name: 'mobilenet_v2', weights: 'models/.cache/mobilenet_v2_nsfwjs.pt' },
  recipe: { epochs: 50, batch_size: 16, lr: 0.001, checkpoint_every: 1 }, epochs: 50, finalLoss: 6.4321,
  device: { name: 'NVIDIA H100', processes: 2, torch: '2.13.0' }, seconds: { total: 5400, training: 4800 },
  thresholds: {
    target: 0.01, defaultThreshold: 61.5, report: 'thresholds.md',
    groups: [
      { product: 'bolt', normals: 20, threshold: 55.25, falseReject: 0, supported: false, defects: { n: 20, recall: 0.65, best: { threshold: 50, f1: 0.8, precision: 0.9, recall: 0.7, falseReject: 0.05 } } },
      { product: 'nut', normals: 10, threshold: 61.5, falseReject: 0, supported: false },
    ],
  },
  heldOut: score,
};

describe('the model card', () => {
  const card = modelCard(input);

  it('should say what the model is, what it was trained on, how, with what, and how long it took', () => {
    expect(card).toContain('# Model card — `line3` 2.0.0');
    expect(card).toContain(`| files | \`line3.onnx\` (7.3 MB, sha256 \`${'ab'.repeat(32)}\`), sidecar \`line3.json\` |`);
    expect(card).toContain('| classes | bolt, nut |');
    expect(card).toContain(`| dataset | \`/data/line3\`, sha256 \`${'cd'.repeat(32)}\` |`);
    expect(card).toContain('| backbone | preset `mobilenet`, `mobilenet_v2`, weights models/.cache/mobilenet_v2_nsfwjs.pt |');
    expect(card).toContain('| trained on | NVIDIA H100, 2 processes, torch 2.13.0 |');
    expect(card).toContain('| time taken | 1.50 h in all, 80.0 min of it training |');
    expect(card).toContain('| bolt | 80 | 20 | 20 | 20 |');
    expect(card).toContain('| nut | 40 | 10 | 10 (the calibration images) | 10 |');
    expect(card).toContain('| **all** | 120 | 30 | 20 | 30 |');
    expect(card).toContain('50 epochs; batch size 16, lr 0.001; final training loss 6.432');
  });

  it('should give the held-out results and thresholds, and the limits that follow from them', () => {
    expect(card).toContain('| bolt | 20 | 20 | 87.5 | 95.0 |');
    expect(card).toContain('| **mean** | | | **81.3** | **90.5** |');
    expect(card).toContain('| bolt | 55.250 ⚠ | 20 | 0.0 % | 20 | 65.0 % |');
    expect(card).toContain('| nut | 61.500 ⚠ | 10 | 0.0 % | 0 | n/a |');
    expect(card).toContain('use `defaultThreshold` 61.500, the highest of them');
    expect(card).toContain('⚠ bolt, nut: fewer held-out good images than 100');
    expect(card).toContain('nut: no `test/good` folder, so the good images of the held-out results are the calibration images');
    expect(card).toContain('nut: fewer than 20 defective test images');
    expect(card).not.toContain('randomly initialised');
  });

  it('should show the learning curve on a validation set when there was one', () => {
    expect(card).not.toContain('Learning curve');
    const curve = modelCard({ ...input, validation: { path: '/val', points: [{ epoch: 5, image: 70.14, pixel: 85.2 }, { epoch: 10, image: 74.3, pixel: 87 }] } });
    expect(curve).toContain('Learning curve on the validation set `/val`');
    expect(curve).toContain('| 5 | 70.1 | 85.2 |\n| 10 | 74.3 | 87.0 |');
  });

  it('should say detection was not measured when there were no test images, and warn about a random backbone', () => {
    const { heldOut: _omitted, ...rest } = input;
    const bare = modelCard({ ...rest, backbone: { name: 'efficientnet_b4', weights: 'random-init' } });
    expect(bare).toContain('No test images: detection was not measured.');
    expect(bare).toContain('⚠ The backbone was randomly initialised');
  });
});

describe('the staging plan', () => {
  const products = [
    { name: 'bolt', good: ['/d/bolt/train/good/a.png', '/d/bolt/train/good/b.jpg'], test: [{ path: '/d/bolt/test/good/g.png', kind: 'good' }, { path: '/d/bolt/test/crack/c.png', kind: 'crack', mask: '/d/bolt/ground_truth/crack/c_mask.png' }] },
    { name: 'nut', good: ['/d/nut/train/good/n.png'], test: [] },
  ];

  it('should link the training images when some are held out, and stage held-out and test images as PNGs with their masks', () => {
    const splits = [{ product: 'bolt', train: ['/d/bolt/train/good/a.png'], heldOut: ['/d/bolt/train/good/b.jpg'] }, { product: 'nut', train: ['/d/nut/train/good/n.png'], heldOut: [] }];
    const plan = stagePlan('/d', '/s', products, splits, new Map([['bolt', ['/d/bolt/train/good/b.jpg']], ['nut', []]]));
    expect(plan.trainRoot).toBe('/s/train');
    expect(plan.links).toContainEqual({ target: '/d/bolt/train/good/a.png', path: '/s/train/bolt/train/good/a.png' });
    expect(plan.links).toContainEqual({ target: '../../../calibration/bolt', path: '/s/calibration-mvtec/bolt/train/good' });
    expect(plan.links).toContainEqual({ target: '../../evaluation/bolt/test/crack', path: '/s/defects/bolt/crack' });
    expect(plan.items).toEqual([
      { src: '/d/bolt/train/good/b.jpg', dst: '/s/calibration/bolt/0000-b.png' },
      { src: '/d/bolt/test/good/g.png', dst: '/s/evaluation/bolt/test/good/0000-g.png' },
      { src: '/d/bolt/test/crack/c.png', dst: '/s/evaluation/bolt/test/crack/0001-c.png' },
      { src: '/d/bolt/ground_truth/crack/c_mask.png', dst: '/s/evaluation/bolt/ground_truth/crack/0001-c_mask.png', mask: true },
    ]);
    expect(plan.defectsDir).toBe('/s/defects');
    expect(plan.counts).toEqual([
      { product: 'bolt', train: 1, calibration: 1, testGood: 1, testDefective: 1, goodFromCalibration: false },
      { product: 'nut', train: 1, calibration: 0, testGood: 0, testDefective: 0, goodFromCalibration: true },
    ]);
  });

  it('should train on the dataset itself when nothing is held out', () => {
    const splits = products.map((p) => ({ product: p.name, train: p.good, heldOut: [] }));
    const plan = stagePlan('/d', '/s', products, splits, new Map([['bolt', ['/c/bolt/x.png']], ['nut', ['/c/nut/y.png']]]));
    expect(plan.trainRoot).toBe('/d');
    expect(plan.links.some((l) => l.path.startsWith('/s/train/'))).toBe(false);
    expect(plan.items).toContainEqual({ src: '/c/nut/y.png', dst: '/s/evaluation/nut/test/good/0000-y.png' });
  });
});

describe('what the terminal is told', () => {
  it('should keep the last lines a terminal shows, progress bars overwritten by carriage returns', () => {
    expect(lastLines('a\rb\rc\n\nTraceback\r\nValueError: x\n', 2)).toEqual(['Traceback', 'ValueError: x']);
  });

  it('should say where training runs', () => {
    const env = { torch: '1.13.0', cuda: [], threads: 2 };
    expect(describeDevice(env, { nproc: 1 })).toBe('training on the CPU: torch 1.13.0 sees no CUDA device (2 threads)');
    expect(describeDevice({ ...env, cuda: ['NVIDIA H100', 'NVIDIA H100'] }, { nproc: 2 })).toBe('training on CUDA: 2 processes, NVIDIA H100, NVIDIA H100 (torch 1.13.0)');
    expect(describeDevice({ ...env, cuda: ['NVIDIA H100'] }, { nproc: 1, device: 'cpu', threads: 4 })).toBe('training on the CPU (--device cpu; torch 1.13.0, 4 threads)');
  });
});

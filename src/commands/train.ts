/** `uniad-edge train`: the options turned into a training run (training/train.ts), the files it wrote on stdout. */
import { progressBar } from '../calibrate/progress.js';
import { uniadError } from '../errors.js';
import { trainModel } from '../training/train.js';
import { command } from './command.js';
import { loggerAt, logLevelOption, numberValue, threadsValue, whole } from './options.js';

/** What `--backbone` names: the preset that trains it (models/uniad/configs.py) and its registry name. */
const backbones = {
  'mobilenet-v2': { preset: 'mobilenet', registry: 'mobilenet_v2', weights: 'offline' },
  fusion: { preset: 'fusion', registry: 'fusion', weights: 'offline' },
  'fusion-ms': { preset: 'fusion-ms', registry: 'fusion', weights: 'offline' },
  'efficientnet-b4': { preset: 'cpu', registry: 'efficientnet_b4', weights: 'bring' },
} as const;
type BackboneName = keyof typeof backbones;

const presets = ['mobilenet', 'mobilenet-fine', 'fusion', 'fusion-ms', 'cpu', 'paper', 'tiny'] as const;

const rate = (n: number) => n > 0 && n < 1;

/** A version that sorts by when the model was trained: 20261206-2031 (UTC). */
const timestampVersion = (now: Date) => now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');

export const train = command({
  name: 'train',
  summary: 'train one model for every product of a dataset folder, calibrate its thresholds, export it and write its model card',
  usage:
    '--data DIR --out DIR [--name NAME] [--version V] [--backbone NAME [--weights FILE]] [--preset NAME] [--epochs N] [--batch-size N] [--lr X] [--lr-step N] [--seed N] [--holdout R | --calibration-images DIR] [--target-false-reject R] [--val-data DIR [--eval-every N]] [--nproc N] [--device cpu|cuda] [--threads N] [--python FILE] [--resume] [--allow-random-backbone] [--log-level LEVEL]',
  options: {
    data: { type: 'string', value: 'DIR', required: true, description: 'the dataset: <product>/train/good/* (normal images), optional <product>/test/<good|defect>/* and ground_truth/<defect>/<name>_mask.png' },
    out: { type: 'string', value: 'DIR', required: true, description: 'where the model (NAME.onnx, NAME.json), its card (NAME.md), thresholds.json and the run folder (run/: checkpoint, log) go' },
    name: { type: 'string', value: 'NAME', description: 'the model name (default uniad)' },
    version: { type: 'string', value: 'V', description: 'the model version (default: the UTC time, e.g. 20261206-2031)' },
    backbone: { type: 'string', value: 'NAME', description: `${Object.keys(backbones).join(', ')} (default mobilenet-v2, shipped offline; fusion adds the COCO MobileNetV3, fusion-ms also a 2x view; efficientnet-b4 is the paper's and needs --weights)` },
    weights: { type: 'string', value: 'FILE', description: "the backbone's weights file (default: the offline weights of mobilenet-v2 and fusion, converted into models/.cache)" },
    preset: { type: 'string', value: 'NAME', description: `a preset of models/uniad/configs.py instead of the backbone's: ${presets.join(', ')}` },
    epochs: { type: 'string', value: 'N', description: 'training epochs (default 50)' },
    'batch-size': { type: 'string', value: 'N', description: 'images a step, over all processes (default 16)' },
    lr: { type: 'string', value: 'X', description: 'AdamW learning rate (default 0.001)' },
    'lr-step': { type: 'string', value: 'N', description: 'epochs before the learning rate drops 10x (default: 80 % of the epochs)' },
    seed: { type: 'string', value: 'N', description: 'random seed (default 0)' },
    holdout: { type: 'string', value: 'R', description: "share of each product's good images held out to calibrate on, at least 10 (default 0.2)" },
    'calibration-images': { type: 'string', value: 'DIR', description: 'calibrate on <DIR>/<product>/* good images instead: nothing is held out of the training images' },
    'target-false-reject': { type: 'string', value: 'R', description: 'the false-reject rate the thresholds are set for on the held-out good images (default 0.01)' },
    'val-data': { type: 'string', value: 'DIR', description: 'a validation set in the dataset layout (test/ with defects): a learning curve in run/curve.json' },
    'eval-every': { type: 'string', value: 'N', description: 'epochs between learning-curve points (default 5)' },
    nproc: { type: 'string', value: 'N', description: 'training processes on this machine, torchrun + DistributedDataParallel (one a GPU; default 1)' },
    device: { type: 'string', value: 'cpu|cuda', description: 'where to train (default: CUDA when torch sees a GPU, else the CPU)' },
    threads: { type: 'string', value: 'N', description: 'torch and onnxruntime threads (default: their choice)' },
    python: { type: 'string', value: 'FILE', description: 'the Python with torch, onnx and pillow (default /usr/bin/python3)' },
    resume: { type: 'boolean', description: "continue the run in --out from its last checkpoint (refused when the dataset's images changed)" },
    'allow-random-backbone': { type: 'boolean', description: 'train on a backbone without pretrained weights (tests only: such a model detects at chance level)' },
    'log-level': logLevelOption('warn'),
  },
  notes:
    'Steps: check the dataset (every image must open; a product needs at least 20 good images to train and 10 held out), train (a progress bar; run/last.pt after every epoch), export ONNX + sidecar, set each product\'s threshold with the runtime\'s calibration on the held-out good images, score the held-out split (test/) through the runtime, write the model card. Interrupted? Run the same command with --resume.',
  handler: async (values) => {
    const name = values.backbone ?? 'mobilenet-v2';
    if (!(name in backbones)) throw uniadError('USAGE', `--backbone must be one of ${Object.keys(backbones).join(', ')}, got "${name}"`);
    const backbone = backbones[name as BackboneName];
    if (values.preset !== undefined && !(presets as readonly string[]).includes(values.preset)) throw uniadError('USAGE', `--preset must be one of ${presets.join(', ')}, got "${values.preset}"`);
    if (backbone.weights === 'bring' && values.weights === undefined && !values['allow-random-backbone']) {
      throw uniadError('USAGE', `--backbone ${name} needs --weights FILE: the ImageNet weights file (models/README.md, "ImageNet weights for EfficientNet-B4", says where to get efficientnet-b4-6ed6700e.pth)`);
    }
    if (values.holdout !== undefined && values['calibration-images'] !== undefined) throw uniadError('USAGE', 'give --holdout R or --calibration-images DIR, not both');
    if (values.device !== undefined && values.device !== 'cpu' && values.device !== 'cuda') throw uniadError('USAGE', `--device must be cpu or cuda, got "${values.device}"`);
    const epochs = numberValue('epochs', values.epochs, 50, whole(1), 'a whole number >= 1');
    const threads = threadsValue(values.threads);
    const result = await trainModel({
      data: values.data,
      out: values.out,
      name: values.name ?? 'uniad',
      version: values.version ?? timestampVersion(new Date()),
      preset: values.preset ?? backbone.preset,
      ...(values.backbone !== undefined && values.preset !== undefined ? { backbone: backbone.registry } : {}),
      ...(values.weights !== undefined ? { weights: values.weights } : {}),
      recipe: {
        epochs,
        batchSize: numberValue('batch-size', values['batch-size'], 16, whole(1), 'a whole number >= 1'),
        lr: numberValue('lr', values.lr, 1e-3, (n) => n > 0, 'a positive number'),
        lrStep: numberValue('lr-step', values['lr-step'], Math.max(1, Math.round(0.8 * epochs)), whole(1), 'a whole number >= 1'),
        seed: numberValue('seed', values.seed, 0, whole(0), 'a whole number >= 0'),
      },
      holdout: numberValue('holdout', values.holdout, 0.2, rate, 'a share between 0 and 1, e.g. 0.2'),
      ...(values['calibration-images'] !== undefined ? { calibrationImages: values['calibration-images'] } : {}),
      targetFalseReject: numberValue('target-false-reject', values['target-false-reject'], 0.01, rate, 'a rate between 0 and 1, e.g. 0.01'),
      ...(values['val-data'] !== undefined ? { validation: { data: values['val-data'], every: numberValue('eval-every', values['eval-every'], 5, whole(1), 'a whole number >= 1') } } : {}),
      nproc: numberValue('nproc', values.nproc, 1, whole(1), 'a whole number >= 1'),
      ...(values.device !== undefined ? { device: values.device } : {}),
      ...(threads !== undefined && threads > 0 ? { threads } : {}),
      python: values.python ?? '/usr/bin/python3',
      resume: values.resume,
      allowRandomBackbone: values['allow-random-backbone'],
      logger: loggerAt(values['log-level'], 'warn'),
      say: (line) => process.stderr.write(`${line}\n`),
      progress: progressBar(),
    });
    const mean = result.heldOut ? `; held-out mean AUROC image ${result.heldOut.imageAuroc}, pixel ${result.heldOut.pixelAuroc}` : '';
    process.stdout.write(`wrote ${result.model} (and its sidecar), ${result.card}, ${result.thresholds}${mean}\n`);
    return 0;
  },
});

/** `uniad-edge collect`: the options turned into a collect run (collect/collect.ts), a summary line a product on stdout. */
import { resolve } from 'node:path';
import { fromEvent, merge } from 'rxjs';
import { progressBar } from '../calibrate/progress.js';
import { collectFrames } from '../collect/collect.js';
import { archivedGoodSamples, archiveSamplesAsFrames, cameraCollectFrames } from '../collect/frame-sources.js';
import { grayContent } from '../collect/gates/gray.js';
import { defaultGateLimits, type GateLimits } from '../collect/gates/judge.js';
import { checkDatasetFolder, checkProductName } from '../collect/product-folder.js';
import { summaryLine, writeSummary } from '../collect/summary.js';
import { readPngRgb } from '../calibrate/read-image.js';
import { loadConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { loadSidecar } from '../pipeline/sidecar.js';
import { withDecoders } from '../service/camera-frames.js';
import { parseSourceUri } from '../sources/uri.js';
import { resolveStateDir, statePaths } from '../state-dir.js';
import { minHeldOutImages, minTrainImages } from '../training/split.js';
import type { RgbImage } from '../geometry/letterbox.js';
import type { Crop, Logger } from '../types.js';
import { command } from './command.js';
import { loggerAt, logLevelOption, numberValue, whole } from './options.js';

const share = (n: number) => n >= 0 && n <= 1;
const level = (n: number) => n >= 0 && n <= 255;

function cropValue(value: string | undefined): Crop | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0) || parts[2] === 0 || parts[3] === 0) {
    throw uniadError('USAGE', `--crop must be X,Y,WIDTH,HEIGHT in the camera's pixels (whole numbers, a width and height above 0), got "${value}"`);
  }
  const [x, y, width, height] = parts as [number, number, number, number];
  return { x, y, width, height };
}

function sizeValue(value: string | undefined): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(value ?? '224x224');
  if (m === null || Number(m[1]) < 8 || Number(m[2]) < 8) throw uniadError('USAGE', `--size must be WIDTHxHEIGHT, the model's input size, e.g. 224x224, got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

interface Values {
  readonly source: string | undefined;
  readonly product: string | undefined;
  readonly crop: string | undefined;
  readonly size: string | undefined;
  readonly config: string | undefined;
  readonly camera: string | undefined;
  readonly 'from-archive': boolean;
  readonly 'state-dir': string | undefined;
}

/** Where the frames come from, as the options say: exactly one of a source, a config's camera, the archive. */
function frameSource(values: Values, logger: Logger) {
  const from = [values.source !== undefined && '--source', values.camera !== undefined && '--camera', values['from-archive'] && '--from-archive'].filter(Boolean);
  if (from.length !== 1) throw uniadError('USAGE', `give one of --source URI --product NAME, --config FILE --camera ID, or --from-archive (got ${from.length === 0 ? 'none' : from.join(' and ')})`);
  if (values['from-archive']) {
    if (values.crop !== undefined || values.size !== undefined) throw uniadError('USAGE', '--crop and --size are for a camera: the archive holds frames as the service took them');
    if (values.config !== undefined && values['state-dir'] !== undefined) throw uniadError('USAGE', 'give --config FILE or --state-dir DIR, not both');
    const archive = statePaths(values.config !== undefined ? loadConfig(values.config).stateDir : resolveStateDir(values['state-dir'])).archive;
    const all = archivedGoodSamples(archive);
    const samples = values.product === undefined ? all : all.filter((s) => s.product === values.product);
    if (samples.length === 0) throw uniadError('COLLECT_ARCHIVE', archive, `holds no good samples${values.product === undefined ? '' : ` of product "${values.product}" (it holds ${[...new Set(all.map((s) => s.product))].join(', ') || 'none of any product'})`}`);
    return { frames: archiveSamplesAsFrames(samples, logger), source: `evidence archive ${archive}`, products: values.product === undefined ? undefined : [values.product], size: undefined };
  }
  if (values['state-dir'] !== undefined) throw uniadError('USAGE', '--state-dir is for --from-archive');
  if (values.camera !== undefined) {
    if (values.config === undefined) throw uniadError('USAGE', '--camera ID needs --config FILE: the service config that names the camera');
    if (values.crop !== undefined || values.size !== undefined) throw uniadError('USAGE', "--crop and --size come from the config with --camera: its crop and its model's input size");
    const cfg = loadConfig(values.config);
    const cam = cfg.cameras.find((c) => c.id === values.camera);
    if (cam === undefined) throw uniadError('USAGE', `--camera: the config has no camera "${values.camera}" (it has ${cfg.cameras.map((c) => c.id).join(', ')})`);
    const [resolved] = withDecoders([cam], logger);
    const product = values.product ?? cam.product;
    // a file camera is read once, every frame: looping it would only show the same parts again
    const size = loadSidecar(cfg.model.path).input;
    return { frames: cameraCollectFrames({ ...resolved!, product, loop: false }, size, logger), source: `camera ${cam.id} (${cam.source})`, products: [product], size };
  }
  if (values.config !== undefined) throw uniadError('USAGE', '--config is for --camera ID or --from-archive; with --source give --crop and --size yourself');
  if (values.product === undefined) throw uniadError('USAGE', '--source needs --product NAME: the product the camera shows');
  const spec = parseSourceUri(values.source!, '--source');
  const camera = { id: 'collect', line: 'collect', product: values.product, spec, loop: false, watchdogSeconds: 10 };
  const crop = cropValue(values.crop);
  const size = sizeValue(values.size);
  return { frames: cameraCollectFrames({ ...camera, ...(crop ? { crop } : {}) }, size, logger), source: values.source!, products: [values.product], size };
}

export const collect = command({
  name: 'collect',
  summary: "good frames of each product into a dataset folder for train, exactly as the runtime sees them, through quality gates (exposure, empty station, focus, near-duplicates)",
  usage:
    '--data DIR [--source URI] [--product NAME] [--crop X,Y,W,H] [--size WxH] [--config FILE] [--camera ID] [--from-archive] [--state-dir DIR] [--count N] [--max-frames N] [--min-focus X] [--min-mean X] [--max-mean X] [--max-clipped R] [--min-contrast X] [--empty-reference FILE] [--min-changed R] [--duplicate-distance X] [--log-level LEVEL]',
  options: {
    data: { type: 'string', value: 'DIR', required: true, description: 'the dataset folder: images go to <DIR>/<product>/train/good/NNNN.png, the summary to <DIR>/collect-summary.json' },
    source: { type: 'string', value: 'URI', description: 'a camera: rtsp://, file://, v4l2:///dev/videoN, csi://N, genicam://camera, test:pattern' },
    product: { type: 'string', value: 'NAME', description: "the product the camera shows (with --camera: instead of the camera's product; with --from-archive: only its samples)" },
    crop: { type: 'string', value: 'X,Y,W,H', description: "with --source: the part of the camera's image to take, in its pixels (as cameras[].crop)" },
    size: { type: 'string', value: 'WxH', description: "with --source: the model's input size the frames are letterboxed to (default 224x224)" },
    config: { type: 'string', value: 'FILE', short: 'c', description: "the service's config: with --camera its camera, crop and model input size; with --from-archive its state folder" },
    camera: { type: 'string', value: 'ID', description: "a camera of --config, taken exactly as the service takes it" },
    'from-archive': { type: 'boolean', description: "the good samples the service kept in its evidence archive (archive.goodSampleEvery), every product's" },
    'state-dir': { type: 'string', value: 'DIR', description: 'with --from-archive: the state folder holding archive/ (default: as the service)' },
    count: { type: 'string', value: 'N', description: 'good images a product should have, those already there included (default 100)' },
    'max-frames': { type: 'string', value: 'N', description: 'frames a product is shown before collect gives up on reaching --count (default 20 x --count)' },
    'min-focus': { type: 'string', value: 'X', description: `focus gate: the least variance of the Laplacian (default ${defaultGateLimits.minFocus})` },
    'min-mean': { type: 'string', value: 'X', description: `exposure gate: the darkest mean grey level (default ${defaultGateLimits.minMean})` },
    'max-mean': { type: 'string', value: 'X', description: `exposure gate: the brightest mean grey level (default ${defaultGateLimits.maxMean})` },
    'max-clipped': { type: 'string', value: 'R', description: `exposure gate: the largest share of black or white pixels (default ${defaultGateLimits.maxClipped})` },
    'min-contrast': { type: 'string', value: 'X', description: `empty gate without a reference: the least grey-level standard deviation (default ${defaultGateLimits.minContrast})` },
    'empty-reference': { type: 'string', value: 'FILE', description: 'empty gate: a PNG of the empty station at the frames\' size (e.g. a collected frame of it); a frame too like it is empty' },
    'min-changed': { type: 'string', value: 'R', description: `empty gate with a reference: the least share of pixels a part changes (default ${defaultGateLimits.minChanged})` },
    'duplicate-distance': { type: 'string', value: 'X', description: `duplicate gate: grey levels (the mean difference of 16 x 16 thumbnails) within which a frame repeats a kept one (default ${defaultGateLimits.maxDuplicateDistance}; --duplicate-distance=-1 turns it off)` },
    'log-level': logLevelOption('warn'),
  },
  notes:
    'Frames from one of: a camera, --source URI --product NAME (with --crop and --size as its config would give them); a camera of the service, --config FILE --camera ID (its source, crop and model input size, exactly as the service takes it); the service\'s archive, --from-archive with --config FILE or --state-dir DIR (its good samples, each of its product). A frame is kept when it passes every gate, in this order: exposure (too dark, too bright), empty station, focus (blurred), near-duplicate of a kept frame (the images already in the folder included). Progress goes to stderr; Ctrl-C stops and keeps what was collected. Exit 1 (COLLECT_TOO_FEW) when a product ends short of --count with fewer than the 30 good images training needs.',
  handler: async (values) => {
    const logger = loggerAt(values['log-level'], 'warn');
    const data = resolve(values.data);
    if (values.product !== undefined) checkProductName(values.product, '--product');
    const target = numberValue('count', values.count, 100, whole(1), 'a whole number >= 1');
    const maxFrames = numberValue('max-frames', values['max-frames'], 20 * target, whole(1), 'a whole number >= 1');
    const limits: GateLimits = {
      minFocus: numberValue('min-focus', values['min-focus'], defaultGateLimits.minFocus, (n) => n >= 0, 'a number >= 0'),
      minMean: numberValue('min-mean', values['min-mean'], defaultGateLimits.minMean, level, 'a grey level 0-255'),
      maxMean: numberValue('max-mean', values['max-mean'], defaultGateLimits.maxMean, level, 'a grey level 0-255'),
      maxClipped: numberValue('max-clipped', values['max-clipped'], defaultGateLimits.maxClipped, share, 'a share from 0 to 1'),
      minContrast: numberValue('min-contrast', values['min-contrast'], defaultGateLimits.minContrast, (n) => n >= 0, 'a number >= 0'),
      minChanged: numberValue('min-changed', values['min-changed'], defaultGateLimits.minChanged, share, 'a share from 0 to 1'),
      maxDuplicateDistance: numberValue('duplicate-distance', values['duplicate-distance'], defaultGateLimits.maxDuplicateDistance, (n) => n >= -1 && n <= 255, 'a number of grey levels from 0 to 255, or -1 (off)'),
    };
    checkDatasetFolder(data);
    const { frames, source, products, size } = frameSource(values, logger);
    const reference = values['empty-reference'] === undefined ? undefined : emptyReference(values['empty-reference'], size);
    const interrupt = merge(fromEvent(process, 'SIGINT'), fromEvent(process, 'SIGTERM'));
    const runs = await collectFrames(frames, { dataset: data, source, target, maxFrames, limits: reference ? { ...limits, reference } : limits, ...(products ? { products } : {}), stop: interrupt, progress: progressBar(), logger });
    const path = writeSummary(data, runs);
    for (const run of runs) process.stdout.write(`${summaryLine(run)}\n`);
    process.stdout.write(`wrote ${path}\n`);
    const needed = minTrainImages + minHeldOutImages;
    const short = runs.filter((r) => r.images < r.target && r.images < needed);
    if (short.length > 0) throw uniadError('COLLECT_TOO_FEW', short.map((r) => `${r.product} has ${r.images}`).join(', '), `${needed} (${minTrainImages} to train on, ${minHeldOutImages} held out to calibrate)`);
    return 0;
  },
});

/** The empty station's picture, which must be of the frames' size (when known: not for the archive's frames). */
function emptyReference(path: string, size: { readonly width: number; readonly height: number } | undefined) {
  let image: RgbImage;
  try {
    image = readPngRgb(path);
  } catch (err) {
    throw uniadError('USAGE', `--empty-reference "${path}" cannot be read as a PNG: ${(err as Error).message} (give a PNG of the empty station at the frames' size, e.g. one collect wrote)`);
  }
  if (size !== undefined && (image.width !== size.width || image.height !== size.height)) {
    throw uniadError('USAGE', `--empty-reference "${path}" is ${image.width}x${image.height}, the frames are ${size.width}x${size.height} (take it the same way: collect a frame of the empty station with the same camera and size)`);
  }
  return grayContent(image);
}

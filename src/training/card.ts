/**
 * The model card `uniad-edge train` writes next to the model (`<name>.md`): what a person deciding whether to deploy
 * the model needs on one page — what it was trained on, how, with which backbone, how it did on images it never saw,
 * where its thresholds stand, and what its numbers cannot say. Pure.
 */
import type { GroupResult } from '../calibrate/report.js';
import type { FolderScore } from '../evaluation/score-folder.js';
import type { StageCounts } from './stage.js';

export interface CardInput {
  readonly name: string;
  readonly version: string;
  readonly createdAt: string;
  readonly tool: string;
  readonly model: { readonly file: string; readonly bytes: number; readonly sha256: string; readonly sidecar: string };
  readonly dataset: { readonly path: string; readonly sha256: string; readonly calibrationPath?: string; readonly calibrationSha256?: string };
  /** Per product: images trained on, held out to calibrate, and tested (stage.ts). */
  readonly images: readonly StageCounts[];
  readonly preset: string;
  readonly backbone: { readonly name: string; readonly weights: string };
  readonly recipe: Readonly<Record<string, unknown>>;
  readonly epochs: number;
  readonly finalLoss: number | null;
  readonly device: { readonly name: string; readonly processes: number; readonly torch: string };
  readonly seconds: { readonly total: number; readonly training: number };
  readonly thresholds: { readonly target: number; readonly groups: readonly GroupResult[]; readonly defaultThreshold: number; readonly report: string };
  /** Held-out results through the runtime; undefined when there was nothing to score. */
  readonly heldOut?: FolderScore;
  /** The learning curve on a validation set (--val-data): AUROC in percent at some epochs. */
  readonly validation?: { readonly path: string; readonly points: readonly { readonly epoch: number; readonly image: number; readonly pixel: number }[] };
}

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const auroc = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(1));

function duration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  const minutes = seconds / 60;
  return minutes < 90 ? `${minutes.toFixed(1)} min` : `${(minutes / 60).toFixed(2)} h`;
}

function resultRows(input: CardInput): string[] {
  const score = input.heldOut;
  if (score === undefined) return ['No test images: detection was not measured. Put defective examples in `<product>/test/<defect kind>/` and train again, or score the model with `uniad-edge evaluate`.'];
  const rows = Object.entries(score.perClass).map(([p, c]) => `| ${p} | ${c.images - c.defective} | ${c.defective} | ${auroc(c.image)} | ${auroc(c.pixel)} |`);
  return [
    'Scored through the runtime (onnxruntime, the inference worker the service uses) on images the model never trained on. AUROC in percent: the chance that a defective image scores above a good one (50 is chance, 100 perfect); pixel AUROC ranks defect pixels against good ones where masks exist.',
    '',
    '| product | good | defective | image AUROC | pixel AUROC |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **mean** | | | **${auroc(score.imageAuroc)}** | **${auroc(score.pixelAuroc)}** |`,
  ];
}

function validationRows(v: NonNullable<CardInput['validation']>): string[] {
  return [
    `Learning curve on the validation set \`${v.path}\` (scored in PyTorch during training; image / pixel AUROC):`,
    '',
    '| epoch | image AUROC | pixel AUROC |',
    '| ---: | ---: | ---: |',
    ...v.points.map((p) => `| ${p.epoch} | ${auroc(p.image)} | ${auroc(p.pixel)} |`),
    '',
  ];
}

function thresholdRows(input: CardInput): string[] {
  const products = input.thresholds.groups.filter((g) => g.camera === undefined);
  return [
    `Set by \`uniad-edge calibrate\` (the runtime's own scoring) for a false-reject rate of ${pct(input.thresholds.target)} on the held-out good images; a part is rejected when its score is at or above its product's threshold. Cameras whose \`product\` is not one of these use \`defaultThreshold\` ${input.thresholds.defaultThreshold.toPrecision(5)}, the highest of them. Report and score plots: \`${input.thresholds.report}\`.`,
    '',
    '| product | threshold | good images | false rejects on them | defective images | recall at the threshold |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...products.map((g) => `| ${g.product} | ${g.threshold.toPrecision(5)}${g.supported ? '' : ' ⚠'} | ${g.normals} | ${pct(g.falseReject)} | ${g.defects?.n ?? 0} | ${g.defects ? pct(g.defects.recall) : 'n/a'} |`),
  ];
}

function limits(input: CardInput): string[] {
  const out: string[] = [];
  const unsupported = input.thresholds.groups.filter((g) => g.camera === undefined && !g.supported).map((g) => g.product);
  if (unsupported.length > 0) out.push(`⚠ ${unsupported.join(', ')}: fewer held-out good images than ${Math.ceil(1 / input.thresholds.target)}, the number a false-reject rate of ${pct(input.thresholds.target)} needs; the threshold sits just above the highest good score seen and the real false-reject rate is unknown. Collect more good images.`);
  const reused = input.images.filter((i) => i.goodFromCalibration && i.testDefective > 0).map((i) => i.product);
  if (reused.length > 0) out.push(`${reused.join(', ')}: no \`test/good\` folder, so the good images of the held-out results are the calibration images; AUROC does not depend on the threshold, but the false-reject rate there is measured on the images the threshold was set on.`);
  const small = input.images.filter((i) => i.testDefective > 0 && i.testDefective < 20).map((i) => i.product);
  if (small.length > 0) out.push(`${small.join(', ')}: fewer than 20 defective test images; one image more or less moves the AUROC by several points.`);
  if (input.backbone.weights.includes('random-init')) out.push('⚠ The backbone was randomly initialised (`--allow-random-backbone`): the model detects little better than chance. Not for production.');
  out.push('The numbers hold for images like these; a new camera position, lighting or product variant needs new images and a new calibration.');
  return out.map((l) => `- ${l}`);
}

export function modelCard(input: CardInput): string {
  const sum = (f: (i: StageCounts) => number) => input.images.reduce((a, i) => a + f(i), 0);
  const recipe = Object.entries(input.recipe)
    .filter(([k]) => k !== 'epochs' && k !== 'checkpoint_every')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${JSON.stringify(v)}`)
    .join(', ');
  return [
    `# Model card — \`${input.name}\` ${input.version}`,
    '',
    `One unified UniAD model (You et al., NeurIPS 2022, arXiv 2206.03687) for ${input.images.length} product${input.images.length === 1 ? '' : 's'}, trained on normal images only. Written by \`${input.tool}\` on ${input.createdAt}.`,
    '',
    '| | |',
    '| --- | --- |',
    `| files | \`${input.model.file}\` (${(input.model.bytes / 1e6).toFixed(1)} MB, sha256 \`${input.model.sha256}\`), sidecar \`${input.model.sidecar}\` |`,
    `| classes | ${input.images.map((i) => i.product).join(', ')} |`,
    `| dataset | \`${input.dataset.path}\`, sha256 \`${input.dataset.sha256}\`${input.dataset.calibrationPath ? `; calibration images \`${input.dataset.calibrationPath}\`, sha256 \`${input.dataset.calibrationSha256}\`` : ''} |`,
    `| backbone | preset \`${input.preset}\`, \`${input.backbone.name}\`, weights ${input.backbone.weights} |`,
    `| trained on | ${input.device.name}, ${input.device.processes} process${input.device.processes === 1 ? '' : 'es'}, torch ${input.device.torch} |`,
    `| time taken | ${duration(input.seconds.total)} in all, ${duration(input.seconds.training)} of it training |`,
    '',
    '## Images',
    '',
    '| product | trained on | calibration images | good test images | defective test images |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...input.images.map((i) => `| ${i.product} | ${i.train} | ${i.calibration} | ${i.testGood}${i.goodFromCalibration ? ' (the calibration images)' : ''} | ${i.testDefective} |`),
    `| **all** | ${sum((i) => i.train)} | ${sum((i) => i.calibration)} | ${sum((i) => (i.goodFromCalibration ? 0 : i.testGood))} | ${sum((i) => i.testDefective)} |`,
    '',
    '## Recipe',
    '',
    `${input.epochs} epoch${input.epochs === 1 ? '' : 's'}; ${recipe}; final training loss ${input.finalLoss === null ? 'n/a' : input.finalLoss.toPrecision(4)} (MSE of the reconstructed features). No defective image was used for training or calibration.`,
    '',
    '## Held-out results',
    '',
    ...resultRows(input),
    '',
    ...(input.validation ? validationRows(input.validation) : []),
    '## Thresholds',
    '',
    ...thresholdRows(input),
    '',
    '## Limits',
    '',
    ...limits(input),
    '',
  ].join('\n');
}

/** The markdown report of a calibration run. Pure. */
import type { F1Point } from './quantile.js';
import type { PlotRange } from './score-plot.js';

export interface GroupResult {
  readonly product: string;
  /** Absent: the product's threshold (all its images); present: that camera's. */
  readonly camera?: string;
  /** A camera with regions: that region's threshold (its images cut and tiled as the runtime does). */
  readonly region?: string;
  readonly normals: number;
  readonly threshold: number;
  /** Measured on the calibration images themselves. */
  readonly falseReject: number;
  /** False when fewer images than 1/target: the threshold is "just above the highest score seen". */
  readonly supported: boolean;
  readonly defects?: { readonly n: number; readonly recall: number; readonly best: F1Point };
  /** The product's PNG, relative to the report, and its x range. */
  readonly plot?: { readonly file: string; readonly range: PlotRange };
}

export interface ReportInput {
  readonly model: string;
  readonly target: number;
  readonly images: string;
  readonly defects?: string;
  readonly groups: readonly GroupResult[];
  readonly createdAt: string;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const num = (x: number) => x.toPrecision(5);

export function calibrationReport(r: ReportInput): string {
  const rows = r.groups.map((g) => {
    const d = g.defects;
    return `| ${g.product} | ${g.camera === undefined ? 'all' : g.region === undefined ? g.camera : `${g.camera}, region ${g.region}`} | ${g.normals} | ${num(g.threshold)}${g.supported ? '' : ' ⚠'} | ${pct(g.falseReject)} | ${d ? d.n : '–'} | ${d ? pct(d.recall) : '–'} | ${d ? `${num(d.best.threshold)} (F1 ${d.best.f1.toFixed(3)}, recall ${pct(d.best.recall)}, false rejects ${pct(d.best.falseReject)})` : '–'} |`;
  });
  const warnings = r.groups
    .filter((g) => !g.supported)
    .map((g) => `- ⚠ ${g.product}${g.camera ? ` / ${g.camera}` : ''}${g.region ? ` / ${g.region}` : ''}: ${g.normals} normal images cannot support a false-reject rate of ${pct(r.target)} (at least ${Math.ceil(1 / r.target)} needed); the threshold is just above the highest normal score seen, and the real rate is unknown.`);
  const plots = r.groups
    .filter((g) => g.plot !== undefined)
    .map((g) => `### ${g.product}${g.region ? ` (${g.camera}, region ${g.region})` : ''}\n\n![${g.product} score distributions](${g.plot!.file})\n\nx axis: score ${num(g.plot!.range.lo)} … ${num(g.plot!.range.hi)}; green normal, red defective (each scaled to its tallest bin), black line the threshold ${num(g.threshold)}.`);
  return [
    `# Calibration of ${r.model}`,
    '',
    `Target false-reject rate on normal images: **${pct(r.target)}**. A frame is rejected when its score is ≥ the threshold.`,
    `Normal images: \`${r.images}\`${r.defects ? `; defective images: \`${r.defects}\`` : ''}. Written ${r.createdAt}.`,
    '',
    '| product | camera | normal images | threshold | false rejects (calibration images) | defective images | recall at threshold | best-F1 threshold |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...(warnings.length > 0 ? ['## Warnings', '', ...warnings, ''] : []),
    'The false-reject rate is measured on the same images the threshold was set on; on new images of the same kind it is the target within sampling error. Check it on held-back images before trusting a small target.',
    '',
    ...(plots.length > 0 ? ['## Score distributions', '', plots.join('\n\n'), ''] : []),
  ].join('\n');
}

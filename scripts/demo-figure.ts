/**
 * Renders docs/demo-heatmap.png: parts from the demo line video, each as the camera saw it and with the heatmap the
 * service publishes, decided by the shipped demo model through the real capture process and inference worker, each
 * part against its class's threshold (what a camera configured with that `product` would use).
 *
 *   npx tsx scripts/demo-figure.ts [--parts 6] [--out docs/demo-heatmap.png]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { lastValueFrom, toArray } from 'rxjs';
import { demoFiles } from '../src/demo.js';
import { silentLogger } from '../src/log.js';
import { packageRoot } from '../src/package-root.js';
import { InferenceEngine } from '../src/pipeline/engine.js';
import { heatmapPixels } from '../src/sinks/heatmap.js';
import { captureCamera } from '../src/sources/capture.js';

interface FrameTruth { frame: number; transition: boolean; class: string; defective: boolean; defect?: string; part: number }

const { values } = parseArgs({ options: { parts: { type: 'string', default: '6' }, out: { type: 'string', default: join(packageRoot, 'docs/demo-heatmap.png') } } });
const truth = (JSON.parse(readFileSync(join(packageRoot, 'models/demo/line.json'), 'utf8')) as { frames: FrameTruth[] }).frames;

const engine = await InferenceEngine.open({ modelPath: demoFiles.model, providers: ['cpu'], logger: silentLogger });
const { width, height } = engine.sidecar.input;
const camera = { id: 'figure', line: 'demo', product: 'mixed', spec: { kind: 'file' as const, path: demoFiles.video }, loop: false, watchdogSeconds: 30 };
const frames = await lastValueFrom(captureCamera(camera, { width, height, logger: silentLogger }).pipe(toArray()));
console.log(`decoded ${frames.length} frames`);

// the middle frame of each part's hold, alternating defective and good parts
const held = new Map<number, FrameTruth[]>();
for (const t of truth) if (!t.transition) held.set(t.part, [...(held.get(t.part) ?? []), t]);
const middles = [...held.values()].map((ts) => ts[Math.floor(ts.length / 2)]!);
const want = Number(values.parts);
const defective = middles.filter((t) => t.defective).slice(0, Math.ceil(want / 2));
const good = middles.filter((t) => !t.defective).slice(0, want - defective.length);
const chosen = [...defective, ...good].sort((a, b) => a.frame - b.frame);

const picked = chosen.map((t) => frames[t.frame]!);
const results = await engine.run(picked);
const thresholdOf = (t: FrameTruth) => engine.sidecar.thresholds[t.class] ?? engine.sidecar.defaultThreshold;
await engine.close();

const gap = 4;
const png = new PNG({ width: chosen.length * (width + gap) - gap, height: 2 * height + gap });
png.data.fill(255);
const blit = (rgb: Uint8Array, x0: number, y0: number) => {
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = ((y0 + y) * png.width + x0 + x) * 4;
      png.data[d] = rgb[s]!;
      png.data[d + 1] = rgb[s + 1]!;
      png.data[d + 2] = rgb[s + 2]!;
      png.data[d + 3] = 255;
    }
};
chosen.forEach((t, i) => {
  const frame = picked[i]!;
  const r = results[i]!;
  const threshold = thresholdOf(t);
  blit(frame.pixels, i * (width + gap), 0);
  blit(heatmapPixels({ map: r.anomalyMap, mapWidth: r.mapWidth, mapHeight: r.mapHeight, threshold, frame }).rgb, i * (width + gap), height + gap);
  console.log(`frame ${t.frame}: ${t.class} ${t.defective ? t.defect : 'good'} score ${r.score.toFixed(3)} ${r.score >= threshold ? 'REJECT' : 'ok'} (threshold ${threshold.toFixed(3)})`);
});
writeFileSync(values.out!, PNG.sync.write(png));
console.log(`wrote ${values.out}`);

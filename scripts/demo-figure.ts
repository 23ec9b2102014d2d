/**
 * Renders docs/demo-heatmap.png: parts from the demo line's station videos, each as the camera saw it and with the
 * heatmap the service publishes, decided by the shipped demo model through the real capture process and inference
 * worker, each part against its station's product threshold.
 *
 *   npx tsx scripts/demo-figure.ts [--parts 6] [--out docs/demo-heatmap.png]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { lastValueFrom, toArray } from 'rxjs';
import { demoFiles } from '../src/demo.js';
import { readLineTruth } from '../src/evaluation/line.js';
import { heatmapPixels } from '../src/images/heatmap.js';
import { silentLogger } from '../src/log.js';
import { packageRoot } from '../src/package-root.js';
import { InferenceEngine } from '../src/pipeline/engine.js';
import { captureCamera } from '../src/sources/capture.js';
import type { Frame } from '../src/types.js';

const { values } = parseArgs({ options: { parts: { type: 'string', default: '6' }, out: { type: 'string', default: join(packageRoot, 'docs/demo-heatmap.png') } } });
const truth = readLineTruth(demoFiles.line);

const engine = await InferenceEngine.open({ modelPath: demoFiles.model, providers: ['cpu'], logger: silentLogger });
const { width, height } = engine.sidecar.input;

// One part from each of the first stations, defective and good in turn: the middle frame of its hold.
interface Chosen { product: string; defective: boolean; defect: string | null; frame: Frame }
const chosen: Chosen[] = [];
for (const [i, station] of truth.stations.slice(0, Number(values.parts)).entries()) {
  const part = station.parts.find((p) => p.defective === (i % 2 === 0)) ?? station.parts[0]!;
  const camera = { id: station.product, line: 'demo', product: station.product, spec: { kind: 'file' as const, path: demoFiles.station(station.product) }, loop: false, watchdogSeconds: 30 };
  const frames = await lastValueFrom(captureCamera(camera, { width, height, logger: silentLogger }).pipe(toArray()));
  chosen.push({ product: station.product, defective: part.defective, defect: part.defect, frame: frames[Math.floor((part.first_frame + part.last_frame) / 2)]! });
}
const picked = chosen.map((c) => c.frame);
const results = await engine.run(picked);
const thresholdOf = (c: Chosen) => engine.sidecar.thresholds[c.product] ?? engine.sidecar.defaultThreshold;
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
  console.log(`${t.product} frame ${t.frame.seq}: ${t.defective ? t.defect : 'good'} score ${r.score.toFixed(3)} ${r.score >= threshold ? 'REJECT' : 'ok'} (threshold ${threshold.toFixed(3)})`);
});
writeFileSync(values.out!, PNG.sync.write(png));
console.log(`wrote ${values.out}`);

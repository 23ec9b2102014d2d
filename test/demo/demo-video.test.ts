/**
 * End to end on the shipped demo line: every station's video (models/demo/line/<product>.mp4) through the real
 * runtime — GStreamer capture of the file (every frame, not paced), the inference worker with the shipped demo model
 * and inspect's batching and thresholds, each station at its own product's threshold — compared with the line's
 * ground truth (models/demo/line.json) the way a reject actuator counts: a part is rejected when ANY of its frames
 * is rejected, good parts included.
 *
 * The bar is the model card's own: the sidecar's `evaluation.demoLine`, measured with this code when the model was
 * shipped (`uniad-edge evaluate --line models/demo/line.json`). One part of margin below its recall allows for
 * decoder and onnxruntime differences between machines; good parts rejected may not exceed what it records. And a
 * floor that no sidecar can lower: docs/accuracy.md §3's 21 of 56 defective parts rejected by 0.2.0, less that one
 * part, with no good part rejected (a regression written back into the sidecar would pass the comparison alone).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeParts, readLineTruth, runStations, scoreParts, type PartOutcome } from '../../src/evaluation/line.js';
import { packageRoot } from '../../src/package-root.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import type { Decision } from '../../src/types.js';

const model = join(packageRoot, 'models/demo/uniad-demo.onnx');
const truthPath = join(packageRoot, 'models/demo/line.json');
const recorded = (JSON.parse(readFileSync(model.replace(/\.onnx$/, '.json'), 'utf8')) as {
  evaluation: { demoLine: { partRecall: number; goodPartsRejected: number; defectiveParts: number } };
}).evaluation.demoLine;

/** docs/accuracy.md §3: 0.2.0 rejects 21 of the 56 defective parts and none of the 56 good ones; one part of margin. */
const floor = { defectivePartsRejected: 20, goodPartsRejected: 0 } as const;

describe('demo line through the runtime', () => {
  let engine: InferenceEngine;
  const truth = readLineTruth(truthPath);
  let decisions = new Map<string, Decision[]>();

  beforeAll(async () => {
    engine = await InferenceEngine.open({ modelPath: model, providers: ['cpu'], threads: 2 });
    decisions = await runStations(engine, truth, truthPath);
    // ~30 s on an idle 2-core machine (560 frames, 14 capture processes at once); minutes on a loaded one.
  }, 600_000);
  afterAll(() => engine?.close());

  it('should have one station per product the model knows, each a camera of one product', () => {
    expect(truth.stations.map((s) => s.product).sort()).toEqual([...engine.sidecar.classes].sort());
    for (const s of truth.stations) expect(new Set(s.parts.map((p) => p.class))).toEqual(new Set([s.product]));
  });

  it("should decide every frame of every station with the model, at the station's product threshold", () => {
    for (const station of truth.stations) {
      const ds = decisions.get(station.product)!;
      expect(ds.map((d) => d.frame.seq).sort((a, b) => a - b)).toEqual([...Array(station.frames_total).keys()]);
      expect(ds.filter((d) => d.verdict.reason !== 'anomaly' && d.verdict.reason !== 'ok')).toEqual([]);
      expect(new Set(ds.map((d) => d.verdict.threshold))).toEqual(new Set([engine.sidecar.thresholds[station.product]]));
    }
  });

  it("should reject at least the model card's share of defective parts and no more good parts than it records", () => {
    const parts: PartOutcome[] = truth.stations.flatMap((s) => judgeParts(s, decisions.get(s.product)!));
    const score = scoreParts(parts);
    console.log(`demo line: ${JSON.stringify(score)}`);
    expect(score.defectiveParts).toBe(recorded.defectiveParts);
    expect(score.partRecall).toBeGreaterThanOrEqual(recorded.partRecall - 100 / recorded.defectiveParts);
    expect(score.goodPartsRejected).toBeLessThanOrEqual(recorded.goodPartsRejected);
    expect(score.defectivePartsRejected).toBeGreaterThanOrEqual(floor.defectivePartsRejected);
    expect(score.goodPartsRejected).toBeLessThanOrEqual(floor.goodPartsRejected);
  });
});

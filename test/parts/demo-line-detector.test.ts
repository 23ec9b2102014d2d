/**
 * The station detector on the demo line's station videos (models/demo/line/), captured by the real GStreamer capture
 * as the service captures a file: each station shows one part for `hold_frames` frames, then the next. The detector,
 * with its defaults, must split every video into exactly the parts of the line's ground truth (models/demo/line.json),
 * frame for frame. Four stations: washer and concrete change least between parts (5.7 and 6.3 luma levels on 8×8
 * cells), cardboard and leaf are ordinary.
 */
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readLineTruth } from '../../src/evaluation/line.js';
import { DetectorFormer } from '../../src/parts/detector.js';
import type { PartEvent } from '../../src/parts/former.js';
import { wholeImage } from '../../src/parts/luma.js';
import { StationLooker } from '../../src/parts/station-look.js';
import { packageRoot } from '../../src/package-root.js';
import { captureCamera } from '../../src/sources/capture.js';
import { silentLogger } from '../../src/log.js';
import type { Frame } from '../../src/types.js';

const truthPath = join(packageRoot, 'models/demo/line.json');
const truth = readLineTruth(truthPath);
const stations = ['washer', 'concrete', 'cardboard', 'leaf'];

async function stationFrames(product: string): Promise<Frame[]> {
  const camera = { id: product, line: 'demo-line', product, spec: { kind: 'file', path: join(packageRoot, 'models/demo/line', `${product}.mp4`) } as const, loop: false, watchdogSeconds: 120 };
  return lastValueFrom(captureCamera(camera, { width: 224, height: 224, logger: silentLogger }).pipe(toArray()));
}

/** The parts the detector makes of the frames: each as [first seq, last seq]. */
function detect(frames: readonly Frame[], frames_: number): { parts: [number, number][]; scoredAlone: number[] } {
  const former = new DetectorFormer('cam', 'run', new StationLooker({ region: wholeImage, motionThreshold: 3 }), { settleFrames: 2, frames: frames_, frameTimeoutMs: 60_000 });
  const seqs = new Map<string, number[]>();
  const scoredAlone: number[] = [];
  const take = (events: readonly PartEvent[], out: readonly Frame[]) => {
    for (const e of events) if (e.type === 'frame') seqs.set(e.partId, [...(seqs.get(e.partId) ?? []), e.seq]);
    for (const f of out) if (f.part === undefined) scoredAlone.push(f.seq);
  };
  // frames 200 ms apart, as the 5 fps video plays live
  frames.forEach((f, i) => {
    const step = former.frame(f, i * 200);
    take(step.events, step.frames);
  });
  const end = former.end(frames.length * 200);
  take(end.events, end.frames);
  return { parts: [...seqs.values()].map((s) => [s[0]!, s.at(-1)!]), scoredAlone };
}

describe('the station detector on the demo line', () => {
  it.each(stations)('should split the %s station into the parts of the ground truth', async (product) => {
    const station = truth.stations.find((s) => s.product === product)!;
    const frames = await stationFrames(product);
    expect(frames.map((f) => f.seq)).toEqual([...Array(station.frames_total).keys()]);
    const whole = detect(frames, 100);
    expect(whole.parts).toEqual(station.parts.map((p) => [p.first_frame, p.last_frame]));
    expect(whole.scoredAlone).toEqual([]);
    // deciding at the third frame: each part's first three frames, the other two scored alone
    const early = detect(frames, 3);
    expect(early.parts).toEqual(station.parts.map((p) => [p.first_frame, p.first_frame + 2]));
    expect(early.scoredAlone).toEqual(station.parts.flatMap((p) => [p.first_frame + 3, p.first_frame + 4]));
  }, 60_000);
});

/**
 * The demo line through the runtime: every station video (models/benchmark/video.py) is captured by GStreamer as the
 * service captures a file (every frame, letterboxed to the model's input), scored by the InferenceEngine and decided
 * by inspect with the station's own product threshold from the sidecar — then compared with the line's ground truth
 * the way a reject actuator counts: a part is rejected when ANY of its frames is rejected, good parts included.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lastValueFrom, merge, toArray } from 'rxjs';
import type { InferenceEngine } from '../pipeline/engine.js';
import { inspect } from '../pipeline/inspect.js';
import { thresholdFor } from '../pipeline/threshold.js';
import { captureCamera } from '../sources/capture.js';
import type { Decision, Logger } from '../types.js';
import { silentLogger } from '../log.js';

export interface PartTruth {
  readonly index: number;
  readonly class: string;
  readonly image: string;
  readonly defective: boolean;
  readonly defect: string | null;
  readonly first_frame: number;
  readonly last_frame: number;
}

export interface StationTruth {
  readonly product: string;
  /** Relative to the ground-truth file. */
  readonly video: string;
  readonly frames_total: number;
  readonly parts: readonly PartTruth[];
}

export interface LineTruth {
  readonly fps: number;
  readonly stations: readonly StationTruth[];
}

/** One part as the line judged it. */
export interface PartOutcome {
  readonly product: string;
  readonly image: string;
  readonly defective: boolean;
  readonly rejected: boolean;
  readonly framesRejected: number;
  readonly frames: number;
}

/** The sidecar's `evaluation.demoLine` block (recall in percent), plus the counts behind it. */
export interface LineScore {
  readonly partRecall: number;
  readonly goodPartsRejected: number;
  readonly defectiveParts: number;
  readonly defectivePartsRejected: number;
  readonly goodParts: number;
  readonly frameRecall: number;
  readonly frameFalseRejectRate: number;
  readonly counting: string;
  readonly missed: readonly string[];
}

export function readLineTruth(path: string): LineTruth {
  return JSON.parse(readFileSync(path, 'utf8')) as LineTruth;
}

/**
 * Decisions of every station's video, every frame, each at its station's product threshold. The stations run at
 * once, as a line's cameras do, so their frames share batches and one model.
 */
export async function runStations(engine: InferenceEngine, truth: LineTruth, truthPath: string, logger: Logger = silentLogger): Promise<Map<string, Decision[]>> {
  const { height, width } = engine.sidecar.input;
  const cameras = truth.stations.map((station) => ({
    id: station.product, line: 'demo-line', product: station.product,
    // A file read as fast as the model scores it: on a busy machine a frame can wait long for the engine, and a
    // watchdog restart would play the file twice.
    spec: { kind: 'file', path: resolve(dirname(truthPath), station.video) } as const, loop: false, watchdogSeconds: 600,
  }));
  const decisions = await lastValueFrom(
    merge(...cameras.map((camera) => captureCamera(camera, { width, height, logger }))).pipe(
      inspect(engine, {
        batchMaxSize: 8,
        batchMaxWaitMs: 20,
        // Not a latency test: every frame of every file is queued and must be scored, none shed.
        deadlineMs: 3_600_000,
        maxQueuedPerCamera: 100_000,
        overloadFor: () => 'wait',
        failSafe: 'reject',
        thresholdFor: (f) => thresholdFor({}, f.product, engine.sidecar),
        runId: 'line-evaluation',
        logger,
      }),
      toArray(),
    ),
  );
  const byStation = new Map<string, Decision[]>(truth.stations.map((s) => [s.product, []]));
  for (const d of decisions) byStation.get(d.frame.camera)!.push(d);
  return byStation;
}

/** Parts judged from decisions: rejected when any of the part's frames is. Pure. */
export function judgeParts(station: StationTruth, decisions: readonly Decision[]): PartOutcome[] {
  const bySeq = new Map(decisions.map((d) => [d.frame.seq, d.verdict]));
  return station.parts.map((p) => {
    let framesRejected = 0;
    for (let f = p.first_frame; f <= p.last_frame; f++) {
      const v = bySeq.get(f);
      if (v === undefined) throw new Error(`${station.product}: no verdict for frame ${f} (part ${p.index})`);
      if (v.reject) framesRejected++;
    }
    return {
      product: station.product, image: p.image, defective: p.defective, rejected: framesRejected > 0,
      framesRejected, frames: p.last_frame - p.first_frame + 1,
    };
  });
}

/** Part recall (percent), good parts rejected, and frame-level rates. Pure. */
export function scoreParts(parts: readonly PartOutcome[]): LineScore {
  const bad = parts.filter((p) => p.defective);
  const good = parts.filter((p) => !p.defective);
  const sum = (ps: readonly PartOutcome[], f: (p: PartOutcome) => number) => ps.reduce((a, p) => a + f(p), 0);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    partRecall: round((100 * bad.filter((p) => p.rejected).length) / bad.length),
    goodPartsRejected: good.filter((p) => p.rejected).length,
    defectiveParts: bad.length,
    defectivePartsRejected: bad.filter((p) => p.rejected).length,
    goodParts: good.length,
    frameRecall: round((100 * sum(bad, (p) => p.framesRejected)) / sum(bad, (p) => p.frames)),
    frameFalseRejectRate: round((100 * sum(good, (p) => p.framesRejected)) / sum(good, (p) => p.frames)),
    counting: 'a part is rejected when any of its frames is (good parts too); each station at its product threshold',
    missed: bad.filter((p) => !p.rejected).map((p) => p.image),
  };
}

/** Runs every station of the line and scores its parts. */
export async function scoreLine(engine: InferenceEngine, truthPath: string, logger: Logger = silentLogger): Promise<LineScore & { parts: PartOutcome[] }> {
  const truth = readLineTruth(truthPath);
  const decisions = await runStations(engine, truth, truthPath, logger);
  const parts = truth.stations.flatMap((station) => judgeParts(station, decisions.get(station.product)!));
  return { ...scoreParts(parts), parts };
}

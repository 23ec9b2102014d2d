/**
 * `uniad-edge check` runs the model once before it may say OK: a model that gives NaN (bad weights, a division by
 * zero in an export) loads, matches the contract and would then reject every part. Four frames cover the input
 * range: black, mid-grey, white and a fixed noise pattern.
 */
import { uniadError } from '../errors.js';
import type { Frame } from '../types.js';
import { nonFiniteOutput } from './finite.js';
import type { Scorer } from './inspect.js';

function testFrames(width: number, height: number): Frame[] {
  const frame = (seq: number, fill: (i: number) => number): Frame => ({
    camera: 'check',
    line: 'check',
    product: 'check',
    seq,
    capturedAt: Date.now(),
    width,
    height,
    pixels: Uint8Array.from({ length: width * height * 3 }, (_, i) => fill(i)),
  });
  // a fixed linear congruential sequence: the same "noise" every run
  const noise = (i: number) => ((Math.imul(i + 1, 1103515245) + 12345) >>> 23) & 255;
  return [frame(0, () => 0), frame(1, () => 128), frame(2, () => 255), frame(3, noise)];
}

/**
 * Scores the test frames; throws MODEL_NON_FINITE naming the first frame whose output is not finite. Then scores them
 * once more, timed (the first run pays for warm-up): resolves to the frames a second the model scored here, in
 * batches of four.
 */
export async function dryRun(scorer: Pick<Scorer, 'run' | 'sidecar'>, modelPath: string): Promise<{ framesPerSecond: number }> {
  const { width, height } = scorer.sidecar.input;
  const frames = testFrames(width, height);
  const names = ['black', 'mid-grey', 'white', 'noise'];
  const inferences = await scorer.run(frames);
  inferences.forEach((inference, i) => {
    const bad = nonFiniteOutput(inference);
    if (bad !== undefined) throw uniadError('MODEL_NON_FINITE', modelPath, `${names[i]} frame: ${bad}`);
  });
  const started = performance.now();
  await scorer.run(frames);
  return { framesPerSecond: frames.length / Math.max((performance.now() - started) / 1000, 1e-6) };
}

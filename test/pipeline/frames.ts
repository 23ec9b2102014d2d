/** Frames for pipeline tests, and the tiny model's formula (test/fixtures/make_tiny_model.py) recomputed in JS. */
import type { Frame, PartTrigger } from '../../src/types.js';
import { tinySize } from '../setup/tiny-model.js';

export interface FrameSpec {
  readonly camera?: string;
  readonly product?: string;
  readonly seq?: number;
  readonly capturedAt?: number;
  /** Grey level of every byte; 128 scores ~0.004. */
  readonly fill?: number;
  /** Pixels set to an RGB colour: [x, y, [r, g, b]]. */
  readonly spots?: ReadonlyArray<readonly [number, number, readonly [number, number, number]]>;
  readonly size?: number;
  /** The part the frame shows (Frame.part). */
  readonly part?: PartTrigger;
}

export function makeFrame(spec: FrameSpec = {}): Frame {
  const size = spec.size ?? tinySize;
  const pixels = new Uint8Array(size * size * 3).fill(spec.fill ?? 128);
  for (const [x, y, rgb] of spec.spots ?? []) pixels.set(rgb, (y * size + x) * 3);
  return {
    camera: spec.camera ?? 'cam1',
    line: 'line1',
    product: spec.product ?? 'bolt',
    seq: spec.seq ?? 0,
    capturedAt: spec.capturedAt ?? Date.now(),
    width: size,
    height: size,
    pixels,
    ...(spec.part === undefined ? {} : { part: spec.part }),
  };
}

/** anomaly_map = channel mean of |x/255 - 0.5| * 2, row-major H x W. */
export function tinyMap(frame: Frame): Float32Array {
  const map = new Float32Array(frame.width * frame.height);
  for (let i = 0; i < map.length; i++) {
    let sum = 0;
    for (let c = 0; c < 3; c++) sum += Math.abs(frame.pixels[i * 3 + c]! / 255 - 0.5) * 2;
    map[i] = sum / 3;
  }
  return map;
}

/** score = max of the map. */
export function tinyScore(frame: Frame): number {
  return tinyMap(frame).reduce((a, b) => Math.max(a, b), -Infinity);
}

/**
 * The model's score rule on any anomaly map. Pure; `models/uniad/tiles.py` is its twin.
 *
 * UniAD scores an image as the maximum of its anomaly map average-pooled with a `scorePool` x `scorePool` window at
 * stride 1, windows wholly inside the map (`avg_pool2d(map, k, stride=1)`, models/uniad/model.py). The map is at the
 * model's input resolution: one map pixel per input pixel. A stitched region map (stitch.ts) is at the tiling scale,
 * which is also one map pixel per input pixel: a tile IS a model input. So the window keeps its size exactly,
 * k = scorePool map pixels (scorePool / scale camera pixels), and a region that is one tile scores what the model
 * scores it. A defect found by one tile decides its region: its pooled value is in the stitched map unchanged.
 */

export interface PooledMax {
  readonly score: number;
  /** Top-left corner of the window that scored it, in map pixels. */
  readonly x: number;
  readonly y: number;
}

/** Maximum over every k x k window wholly inside the width x height map of the window's mean. */
export function pooledMax(map: Float32Array, width: number, height: number, k: number): PooledMax {
  if (!Number.isInteger(k) || k < 1 || k > width || k > height) throw new RangeError(`score: a ${k} px window does not fit a ${width}x${height} map`);
  if (map.length !== width * height) throw new RangeError(`score: a ${width}x${height} map cannot have ${map.length} values`);
  // Summed-area table: each window's sum in four reads, whatever k.
  const w1 = width + 1;
  const sat = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += map[y * width + x]!;
      sat[(y + 1) * w1 + x + 1] = sat[y * w1 + x + 1]! + rowSum;
    }
  }
  let best = { score: -Infinity, x: 0, y: 0 };
  const area = k * k;
  for (let y = 0; y + k <= height; y++) {
    for (let x = 0; x + k <= width; x++) {
      const sum = sat[(y + k) * w1 + x + k]! - sat[y * w1 + x + k]! - sat[(y + k) * w1 + x]! + sat[y * w1 + x]!;
      const mean = sum / area;
      // A map that is not finite must not score as a clean one (pipeline/finite.ts refuses it).
      if (Number.isNaN(mean)) return { score: mean, x, y };
      if (mean > best.score) best = { score: mean, x, y };
    }
  }
  return best;
}

/**
 * Letterboxing: an image fitted into the model's input with its aspect ratio kept, centred on black, exactly as the
 * runtime's GStreamer pipeline does it (`videoscale add-borders=true`, sources/launch.ts). Calibration and evaluation
 * letterbox images with this, training with its twin `models/uniad/letterbox.py`, and the NVMM path sizes its scaler
 * with it: calibrating or training on images fitted otherwise (squashed, or a row taller) calibrates a different
 * distribution from the one the cameras deliver. Pure; imports nothing, so any folder may use it.
 *
 * Geometry (gstvideoconvertscale.c): the side that fits is kept whole, the other is scaled with integer, truncating
 * arithmetic, and the border is split with the odd pixel at the bottom/right; a source of the output's aspect ratio
 * fills it.
 * Pixels: GStreamer's bilinear scaler for packed RGB, to the bit (video-resampler.c: two taps, pixel centres mapped
 * to pixel centres, clamped at the edges; video-scaler.c: horizontal taps in 6-bit and vertical in 8-bit fixed point,
 * rows first when shrinking vertically). That is the path an RGB image file takes through the runtime's launch
 * string, and the geometry of the Jetson path (RGBA). Video decoded to YUV on the CPU is scaled per plane by other
 * kernels, its chroma at half size, which no RGB letterbox reproduces; and with 4:2:0 chroma (H.264, H.265) GStreamer
 * rounds the border offsets down to even, placing the image a row or column up or left of here when half a border is
 * odd (1920x1080 into 224x224: from row 48, not 49).
 */

/** Tightly packed 8-bit RGB rows. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where a srcWidth x srcHeight image (square pixels) lands in a width x height frame. The scaled side truncates, and
 * may truncate to 0 for a source far thinner than the frame: GStreamer then delivers a black frame, and so does
 * `letterbox`.
 */
export function letterboxRect(srcWidth: number, srcHeight: number, width: number, height: number): Rect {
  for (const [name, v] of Object.entries({ srcWidth, srcHeight, width, height })) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`letterbox: ${name} must be a positive integer, got ${v}`);
  }
  if (srcWidth * height === srcHeight * width) return { x: 0, y: 0, width, height };
  const toHeight = Math.floor((width * srcHeight) / srcWidth);
  if (toHeight <= height) return { x: 0, y: Math.floor((height - toHeight) / 2), width, height: toHeight };
  const toWidth = Math.floor((height * srcWidth) / srcHeight);
  return { x: Math.floor((width - toWidth) / 2), y: 0, width: toWidth, height };
}

/** For each output sample: its first source sample and the two taps' weights (one tap for a 1-sample source). */
interface Taps {
  readonly first: Int32Array;
  readonly weights: Float64Array;
  readonly count: 1 | 2;
}

function linearTaps(inSize: number, outSize: number): Taps {
  const count = inSize >= 2 ? 2 : 1;
  const first = new Int32Array(outSize);
  const weights = new Float64Array(outSize * 2);
  for (let j = 0; j < outSize; j++) {
    // The centre of output sample j in source samples; the same operations in the same order as GStreamer's doubles.
    const x = Math.min(Math.max(((0.5 + j) / outSize) * inSize - (count === 2 ? 0.5 : 0), 0), inSize - 1);
    let xi = Math.floor(x);
    let w0 = 1;
    let w1 = 0;
    if (count === 2) {
      w0 = Math.abs(x - xi) < 1 ? 1 - Math.abs(x - xi) : 0;
      w1 = Math.abs(x - (xi + 1)) < 1 ? 1 - Math.abs(x - (xi + 1)) : 0;
      const sum = w0 + w1;
      [w0, w1] = [w0 / sum, w1 / sum];
      // The last sample: both taps shift back one, its weight on the second.
      if (xi > inSize - 2) [xi, w0, w1] = [xi - 1, 0, w0 + w1];
    }
    first[j] = xi;
    weights[2 * j] = w0;
    weights[2 * j + 1] = w1;
  }
  return { first, weights, count };
}

/**
 * Two weights as integers summing to 2^bits: rounded with a bias searched by bisection until they do, so that a flat
 * image stays flat (video-scaler.c, resampler_convert_coeff).
 */
function fixedTaps(w0: number, w1: number, bits: number): [number, number] {
  const one = 2 ** bits;
  let [low, high, bias] = [0, 1, 0.5];
  let taps: [number, number] = [0, 0];
  for (let i = 0; i < 64; i++) {
    taps = [Math.floor(bias + w0 * one), Math.floor(bias + w1 * one)];
    const sum = taps[0] + taps[1];
    if (sum === one || low === high) break;
    if (sum < one) {
      if (bias > low) low = bias;
      bias += (high - low) / 2;
    } else {
      if (bias < high) high = bias;
      bias -= (high - low) / 2;
    }
  }
  return taps;
}

/** Scales each row of `src` (width x height x 3) to `outWidth`: taps of 6 bits, rounded, clamped. */
function scaleRows(src: Uint8Array, width: number, height: number, outWidth: number): Uint8Array {
  if (outWidth === width) return src;
  const { first, weights, count } = linearTaps(width, outWidth);
  const from = new Int32Array(outWidth);
  const a = new Int32Array(outWidth);
  const b = new Int32Array(outWidth);
  for (let j = 0; j < outWidth; j++) {
    from[j] = first[j]! * 3;
    [a[j], b[j]] = count === 2 ? fixedTaps(weights[2 * j]!, weights[2 * j + 1]!, 6) : [64, 0];
  }
  // A one-sample row has no second sample: its only tap weighs 64 and the second reads the first again.
  const next = count === 2 ? 3 : 0;
  const out = new Uint8Array(outWidth * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * width * 3;
    for (let j = 0; j < outWidth; j++) {
      const s = row + from[j]!;
      for (let c = 0; c < 3; c++, o++) out[o] = Math.min(255, (src[s + c]! * a[j]! + src[s + next + c]! * b[j]! + 32) >> 6);
    }
  }
  return out;
}

/** Scales the columns of `src` (width x height x 3) to `outHeight`: one tap of 8 bits on the difference of two rows. */
function scaleColumns(src: Uint8Array, width: number, height: number, outHeight: number): Uint8Array {
  if (outHeight === height) return src;
  const { first, weights, count } = linearTaps(height, outHeight);
  const stride = width * 3;
  const out = new Uint8Array(stride * outHeight);
  for (let i = 0; i < outHeight; i++) {
    const top = first[i]! * stride;
    if (count === 1) {
      out.set(src.subarray(top, top + stride), i * stride);
      continue;
    }
    const p = fixedTaps(weights[2 * i]!, weights[2 * i + 1]!, 8)[1];
    const bottom = top + stride;
    for (let k = 0; k < stride; k++) out[i * stride + k] = src[top + k]! + ((((src[bottom + k]! - src[top + k]!) * p + 128) >> 8) & 0xff);
  }
  return out;
}

/** `src` letterboxed into width x height: scaled bilinearly into `letterboxRect`, black around it. */
export function letterbox(src: RgbImage, width: number, height: number): RgbImage {
  if (src.width === width && src.height === height) return src;
  const r = letterboxRect(src.width, src.height, width, height);
  const out = new Uint8Array(width * height * 3);
  if (r.width === 0 || r.height === 0) return { width, height, pixels: out };
  // GStreamer scales rows first unless that would scale more rows than the output has.
  const columnsFirst = r.width !== src.width && r.height !== src.height && linearTaps(src.height, r.height).first[r.height - 1]! > r.height;
  const scaled = columnsFirst
    ? scaleRows(scaleColumns(src.pixels, src.width, src.height, r.height), src.width, r.height, r.width)
    : scaleColumns(scaleRows(src.pixels, src.width, src.height, r.width), r.width, src.height, r.height);
  for (let y = 0; y < r.height; y++) out.set(scaled.subarray(y * r.width * 3, (y + 1) * r.width * 3), ((r.y + y) * width + r.x) * 3);
  return { width, height, pixels: out };
}

/** A one-byte-per-pixel mask (defect masks) letterboxed like its image: nearest sample, 0 around it. */
export function letterboxMask(src: { readonly width: number; readonly height: number; readonly values: Uint8Array }, width: number, height: number): Uint8Array {
  if (src.width === width && src.height === height) return src.values;
  const r = letterboxRect(src.width, src.height, width, height);
  const out = new Uint8Array(width * height);
  const nearest = (i: number, inSize: number, outSize: number) => Math.min(inSize - 1, Math.floor(((i + 0.5) * inSize) / outSize));
  for (let y = 0; y < r.height; y++) {
    const sy = nearest(y, src.height, r.height);
    for (let x = 0; x < r.width; x++) out[(r.y + y) * width + r.x + x] = src.values[sy * src.width + nearest(x, src.width, r.width)]!;
  }
  return out;
}

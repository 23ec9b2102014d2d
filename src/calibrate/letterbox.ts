/**
 * Fits an RGB image into the model's input the way the runtime's GStreamer pipeline does (`videoscale
 * add-borders=true`, launch.ts): aspect ratio kept, centred, black borders, bilinear. Pure. Calibrating on
 * squashed images would calibrate a different distribution from the one the cameras deliver.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Tightly packed RGB rows. */
  readonly pixels: Uint8Array;
}

/** The centred rectangle of size width x height that keeps the source's aspect ratio. */
export function letterboxRect(srcWidth: number, srcHeight: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const scale = Math.min(width / srcWidth, height / srcHeight);
  const w = Math.max(1, Math.min(width, Math.round(srcWidth * scale)));
  const h = Math.max(1, Math.min(height, Math.round(srcHeight * scale)));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

export function letterbox(src: RgbImage, width: number, height: number): RgbImage {
  if (src.width === width && src.height === height) return src;
  const out = new Uint8Array(width * height * 3);
  const r = letterboxRect(src.width, src.height, width, height);
  const sx = src.width / r.width;
  const sy = src.height / r.height;
  for (let y = 0; y < r.height; y++) {
    // Pixel centres map to pixel centres; clamped at the edges.
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), src.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < r.width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), src.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const wx = fx - x0;
      const o = ((r.y + y) * width + r.x + x) * 3;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => src.pixels[(yy * src.width + xx) * 3 + c]!;
        const top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx;
        const bottom = p(y1, x0) * (1 - wx) + p(y1, x1) * wx;
        out[o + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { width, height, pixels: out };
}

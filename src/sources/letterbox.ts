/**
 * Letterbox arithmetic: the size a source rectangle takes inside the model's input when scaled to fit without
 * distortion. Pure. The software path lets `videoscale add-borders=true` do this from the negotiated caps; the NVMM
 * path needs the number itself, to have nvvidconv scale straight to it (launch-nvmm.ts).
 */
/** Fits `src` (square pixels) into `out`, keeping its aspect ratio; the scaled side is rounded down, as videoscale does. */
export function fittedSize(src: { width: number; height: number }, out: { width: number; height: number }): { width: number; height: number } {
  // Compare aspect ratios in integers: src.w/src.h > out.w/out.h  <=>  src.w*out.h > out.w*src.h.
  if (src.width * out.height > out.width * src.height) return { width: out.width, height: Math.floor((out.width * src.height) / src.width) };
  return { width: Math.floor((out.height * src.width) / src.height), height: out.height };
}

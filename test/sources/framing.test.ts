import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, headerBytes } from '../../src/sources/framing.js';

/** A width x height RGB sample with rows padded to `stride` bytes; pixel bytes count up, padding is 0xEE. */
function sample(width: number, height: number, stride: number): Buffer {
  const buf = Buffer.alloc(stride * height, 0xee);
  for (let y = 0; y < height; y++) for (let i = 0; i < width * 3; i++) buf[y * stride + i] = (y * width * 3 + i) % 251;
  return buf;
}

const packedPixels = (width: number, height: number) => Uint8Array.from({ length: width * height * 3 }, (_, i) => i % 251);

describe('encodeFrame', () => {
  it('should strip the 4-byte row padding GStreamer adds to odd RGB widths', () => {
    const encoded = encodeFrame(sample(225, 3, 676), 225, 3);
    expect(encoded.length).toBe(headerBytes + 225 * 3 * 3);
    expect(Buffer.from(encoded.subarray(headerBytes))).toEqual(Buffer.from(packedPixels(225, 3)));
  });

  it('should copy packed rows unchanged', () => {
    const encoded = encodeFrame(sample(4, 2, 12), 4, 2);
    expect(Buffer.from(encoded.subarray(headerBytes))).toEqual(Buffer.from(packedPixels(4, 2)));
  });

  it('should refuse a sample too small for its caps', () => {
    expect(() => encodeFrame(Buffer.alloc(100), 225, 3)).toThrow(/225x3 RGB sample cannot be 100 bytes/);
  });
});

describe('FrameDecoder', () => {
  const frames = [encodeFrame(sample(5, 3, 16), 5, 3), encodeFrame(sample(2, 2, 8), 2, 2), encodeFrame(sample(7, 1, 24), 7, 1)];
  const stream = Buffer.concat(frames);

  it('should cut frames out of any chunking of the stream', () => {
    for (const chunkSize of [1, 5, 12, 13, 57, stream.length]) {
      const decoder = new FrameDecoder();
      const decoded = [];
      for (let at = 0; at < stream.length; at += chunkSize) decoded.push(...decoder.push(stream.subarray(at, at + chunkSize)));
      expect(decoded.map((f) => [f.width, f.height])).toEqual([[5, 3], [2, 2], [7, 1]]);
      expect(Buffer.from(decoded[0]!.pixels)).toEqual(Buffer.from(packedPixels(5, 3)));
      expect(decoder.pending).toBe(0);
    }
  });

  it('should give each frame its own exactly-sized ArrayBuffer, so it can be transferred alone', () => {
    const [first] = new FrameDecoder().push(stream);
    expect(first!.pixels.byteOffset).toBe(0);
    expect(first!.pixels.buffer.byteLength).toBe(5 * 3 * 3);
  });

  it('should carry the software trigger a frame answers, 0 for none', () => {
    const decoded = new FrameDecoder().push(Buffer.concat([encodeFrame(sample(2, 2, 8), 2, 2, 0xffff_ffff), encodeFrame(sample(2, 2, 8), 2, 2)]));
    expect(decoded.map((f) => f.trigger)).toEqual([0xffff_ffff, 0]);
  });

  it('should hold a truncated frame as pending', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(stream.subarray(0, frames[0]!.length + 3))).toHaveLength(1);
    expect(decoder.pending).toBe(3);
  });
});

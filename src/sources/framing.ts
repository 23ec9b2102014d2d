/**
 * The binary wire format of frames from a capture child to its parent, on a pipe of their own: a 16-byte header
 * (uint32 LE: payload bytes, width, height, trigger) then the RGB pixels, rows tightly packed. `trigger` is the
 * software trigger the frame answers (the parent's number for it, genicam_child.py writes it), 0 for none.
 */

export const headerBytes = 16;

/** Header plus pixels in one buffer, so one write carries a whole frame. `sample` may have padded rows. */
export function encodeFrame(sample: Uint8Array, width: number, height: number, trigger = 0): Buffer {
  const row = width * 3;
  const size = row * height;
  const stride = sample.length / height;
  if (!Number.isInteger(stride) || stride < row) {
    throw new Error(`a ${width}x${height} RGB sample cannot be ${sample.length} bytes (stride ${stride}, need at least ${row})`);
  }
  const out = Buffer.allocUnsafe(headerBytes + size);
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(width, 4);
  out.writeUInt32LE(height, 8);
  out.writeUInt32LE(trigger, 12);
  if (stride === row) {
    out.set(sample, headerBytes);
  } else {
    // GStreamer pads RGB rows to 4 bytes (width 225: 676 bytes a row, not 675); the model wants them packed.
    for (let y = 0; y < height; y++) out.set(sample.subarray(y * stride, y * stride + row), headerBytes + y * row);
  }
  return out;
}

export interface DecodedFrame {
  readonly width: number;
  readonly height: number;
  /** Its own ArrayBuffer, exactly the pixels: it can be transferred to a worker without copying other frames. */
  readonly pixels: Uint8Array;
  /** The software trigger this frame answers; 0 for none. */
  readonly trigger: number;
}

/** Cuts a byte stream of encoded frames back into frames, whatever the chunk boundaries. */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk from the pipe and returns the frames it completed. */
  push(chunk: Buffer): DecodedFrame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: DecodedFrame[] = [];
    for (;;) {
      if (this.buffered < headerBytes) return frames;
      const header = this.peek(headerBytes);
      const size = header.readUInt32LE(0);
      if (this.buffered < headerBytes + size) return frames;
      this.consume(headerBytes);
      const pixels = new Uint8Array(size);
      this.consume(size, pixels);
      frames.push({ width: header.readUInt32LE(4), height: header.readUInt32LE(8), pixels, trigger: header.readUInt32LE(12) });
    }
  }

  /** Bytes received that do not yet make a whole frame (non-zero at end of stream means a truncated frame). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    return first.length >= n ? first.subarray(0, n) : Buffer.concat(this.chunks, n);
  }

  /** Drops the next `n` bytes from the chunks, copying them into `into` when given. */
  private consume(n: number, into?: Uint8Array): void {
    let done = 0;
    while (done < n) {
      const first = this.chunks[0]!;
      const part = Math.min(first.length, n - done);
      into?.set(first.subarray(0, part), done);
      done += part;
      if (part === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(part);
    }
    this.buffered -= n;
  }
}

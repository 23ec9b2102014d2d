/**
 * How many video frames an MP4/MOV file holds, from its sample table (ISO/IEC 14496-12: moov/trak/mdia/minf/stbl/
 * stsz `sample_count` of the track whose handler is `vide`). A decoder that meets damaged data drops frames without
 * a word on the GStreamer bus (a corrupt MP4 gave 720 of 892 frames); comparing what came out with this count is
 * how the capture notices. Reads only box headers and the `moov` box, never the media data.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

interface Box {
  readonly type: string;
  /** Offset of the payload in the buffer. */
  readonly start: number;
  readonly end: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1 && at + 16 <= to) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

const child = (buf: Buffer, box: Box, type: string, skip = 0) => [...boxes(buf, box.start + skip, box.end)].find((b) => b.type === type);

/** The video sample count in a `moov` box's payload, or undefined. */
export function videoSampleCountInMoov(moov: Buffer): number | undefined {
  for (const trak of boxes(moov, 0, moov.length)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak, 'mdia');
    const hdlr = mdia && child(moov, mdia, 'hdlr');
    // hdlr: version/flags (4), pre_defined (4), handler_type (4)
    if (!hdlr || moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
    const minf = child(moov, mdia, 'minf');
    const stbl = minf && child(moov, minf, 'stbl');
    const stsz = stbl && child(moov, stbl, 'stsz');
    // stsz: version/flags (4), sample_size (4), sample_count (4)
    if (stsz && stsz.end - stsz.start >= 12) return moov.readUInt32BE(stsz.start + 8);
  }
  return undefined;
}

/** The number of video frames in the MP4/MOV file at `path`, or undefined if it is not one (or has no video track). */
export function videoSampleCount(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(16);
    let at = 0;
    while (at + 8 <= size) {
      readSync(fd, header, 0, 16, at);
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      let headerSize = 8;
      if (boxSize === 1) {
        boxSize = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (boxSize === 0) boxSize = size - at;
      if (boxSize < headerSize) return undefined;
      if (type === 'moov') {
        const moov = Buffer.alloc(Math.min(boxSize, size - at) - headerSize);
        readSync(fd, moov, 0, moov.length, at + headerSize);
        return videoSampleCountInMoov(moov);
      }
      at += boxSize;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * PNG `tEXt` chunks (PNG spec §11.3.4.3): how a heatmap carries the id of its verdict on MQTT 3.1.1, which has no
 * user properties. The payload stays a plain PNG that any viewer decodes; a subscriber that wants the id reads
 * the chunk with `readPngText`. Pure byte surgery, no decoding.
 */
import { crc32 } from 'node:zlib';

const SIGNATURE_LENGTH = 8;
/** length(4) + "IHDR"(4) + 13 data bytes + crc(4); IHDR is always first. */
const IHDR_END = SIGNATURE_LENGTH + 25;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** `png` with a `tEXt` chunk `keyword`=`text` right after IHDR (keyword: 1–79 Latin-1 characters). */
export function withPngText(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  return Buffer.concat([png.subarray(0, IHDR_END), chunk('tEXt', data), png.subarray(IHDR_END)]);
}

/** Every `tEXt` chunk of `png` as keyword → text. Stops at IEND or at a truncated chunk. */
export function readPngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = SIGNATURE_LENGTH;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IEND' || at + 12 + length > png.length) break;
    if (type === 'tEXt') {
      const data = png.subarray(at + 8, at + 8 + length);
      const nul = data.indexOf(0);
      if (nul > 0) out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1);
    }
    at += 12 + length;
  }
  return out;
}

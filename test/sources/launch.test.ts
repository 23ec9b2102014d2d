import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fraction, launchString, quoted, sinkName } from '../../src/sources/launch.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import { testVideo } from '../setup/video.js';

const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof import('gstreamer-superficial');

interface Pulled {
  readonly frames: Buffer[];
  readonly width: number;
  readonly height: number;
}

/** Plays `description` in this process and pulls up to `max` frames (all of them until end of stream by default). */
function pull(description: string, max = Infinity): Promise<Pulled> {
  const pipeline = new gst.Pipeline(description);
  const sink = pipeline.findChild(sinkName)!;
  const frames: Buffer[] = [];
  let width = 0;
  let height = 0;
  return new Promise<Pulled>((resolve, reject) => {
    const done = (err?: Error) => {
      pipeline.stop();
      if (err) reject(err);
      else resolve({ frames, width, height });
    };
    pipeline.pollBus((m) => m.type === 'error' && done(new Error(String(m.message))));
    pipeline.play();
    const onSample = (buf: Buffer | null, caps: Record<string, unknown>) => {
      if (buf === null) return done();
      width = Number(caps.width);
      height = Number(caps.height);
      frames.push(buf);
      if (frames.length >= max) done();
      else sink.pull(onSample);
    };
    sink.pull(onSample);
  });
}

/** Tightly packed RGB of a frame GStreamer delivered with rows padded to 4 bytes. */
function packed({ frames, width, height }: Pulled, index = 0): Buffer {
  const stride = frames[index]!.length / height;
  return Buffer.concat(Array.from({ length: height }, (_, y) => frames[index]!.subarray(y * stride, y * stride + width * 3)));
}

const rtsp: SourceSpec = { kind: 'rtsp', uri: 'rtsp://user:pa ss@10.0.0.7:554/stream1' };
const file: SourceSpec = { kind: 'file', path: testVideo.path };
const v4l2: SourceSpec = { kind: 'v4l2', device: '/dev/video0' };
const test: SourceSpec = { kind: 'test', pattern: 'smpte' };
const out = { width: 224, height: 224 };

describe('launchString', () => {
  it('should read RTSP over TCP into a dropping appsink', () => {
    const desc = launchString(rtsp, out);
    expect(desc).toMatch(/^rtspsrc location="rtsp:\/\/user:pa ss@10\.0\.0\.7:554\/stream1" latency=\d+ protocols=tcp ! decodebin ! /);
    expect(desc).toMatch(/appsink name=sink max-buffers=2 drop=true sync=false$/);
  });

  it('should treat RTSP and V4L2 as live even when asked not to', () => {
    expect(launchString(rtsp, { ...out, live: false })).toMatch(/drop=true sync=false$/);
    expect(launchString(v4l2, { ...out, live: false })).toMatch(/drop=true sync=false$/);
  });

  it('should read a V4L2 device through decodebin into a dropping appsink', () => {
    const desc = launchString(v4l2, out);
    expect(desc).toMatch(/^v4l2src device="\/dev\/video0" ! decodebin ! /);
    expect(desc).toMatch(/max-buffers=2 drop=true sync=false$/);
  });

  it('should read a file without dropping, or paced and dropping when played as live', () => {
    expect(launchString(file, out)).toMatch(/^filesrc location="[^"]+\.mp4" ! decodebin ! .* max-buffers=2 drop=false sync=false$/);
    expect(launchString(file, { ...out, live: true })).toMatch(/max-buffers=2 drop=true sync=true$/);
  });

  it('should make a live test source at 30 fps unless told otherwise', () => {
    expect(launchString(test, out)).toMatch(/^videotestsrc pattern=smpte is-live=true ! video\/x-raw,framerate=30\/1 ! /);
    expect(launchString(test, { ...out, fps: 12.5, live: false, numBuffers: 7 })).toMatch(
      /^videotestsrc pattern=smpte is-live=false num-buffers=7 ! video\/x-raw,framerate=25\/2 ! .* drop=false sync=false$/,
    );
  });

  it('should end in RGB letterboxed to exactly the output size', () => {
    expect(launchString(file, out)).toContain(
      'videoscale add-borders=true ! video/x-raw,width=224,height=224,pixel-aspect-ratio=1/1 ! videoconvert ! video/x-raw,format=RGB ! appsink',
    );
  });

  it('should crop in source pixels before scaling', () => {
    const desc = launchString(rtsp, { ...out, crop: { x: 10, y: 20, width: 300, height: 200 } });
    expect(desc).toContain('! videocrop left=10 top=20 right=-1 bottom=-1 ! video/x-raw,width=300,height=200 ! videoscale');
  });

  it('should cap the frame rate of a camera by dropping, never duplicating', () => {
    expect(launchString(rtsp, { ...out, fps: 5 })).toContain('! decodebin ! videorate drop-only=true ! video/x-raw,framerate=[0/1,5/1] ! ');
    expect(launchString(rtsp, out)).not.toContain('videorate');
  });

  it('should quote values so spaces, quotes, backslashes and "!" stay inside them', () => {
    expect(quoted('/a b/c"d\\e!f')).toBe('"/a b/c\\"d\\\\e!f"');
  });

  it('should write frame rates as reduced fractions and refuse nonsense', () => {
    expect(fraction(30)).toBe('30/1');
    expect(fraction(12.5)).toBe('25/2');
    expect(fraction(0.5)).toBe('1/2');
    expect(() => fraction(0)).toThrow(/positive/);
    expect(() => fraction(Number.NaN)).toThrow(/positive/);
  });
});

describe('launch descriptions in GStreamer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-launch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should be accepted for RTSP and V4L2 sources, with crop and fps', () => {
    for (const spec of [rtsp, v4l2]) {
      const pipeline = new gst.Pipeline(launchString(spec, { ...out, crop: { x: 2, y: 2, width: 100, height: 100 }, fps: 7.5 }));
      expect(pipeline.findChild(sinkName)).not.toBeNull();
    }
  });

  it('should deliver every frame of a file whose path has spaces, quotes, a backslash and "!"', async () => {
    const path = join(dir, 'line 3 "left" \\ cam!.mp4');
    copyFileSync(testVideo.path, path);
    const pulled = await pull(launchString({ kind: 'file', path }, { width: 64, height: 48 }));
    expect(pulled.frames).toHaveLength(testVideo.frames);
    expect([pulled.width, pulled.height]).toEqual([64, 48]);
  });

  it('should produce test frames at the output size with crop and fps', async () => {
    const pulled = await pull(launchString(test, { width: 96, height: 64, crop: { x: 16, y: 16, width: 192, height: 128 }, fps: 60, numBuffers: 3 }));
    expect(pulled.frames).toHaveLength(3);
    expect([pulled.width, pulled.height]).toEqual([96, 64]);
    expect(pulled.frames[0]!.length).toBe(96 * 64 * 3);
  });

  it('should crop the region at (x, y) of the source image', async () => {
    const spec: SourceSpec = { kind: 'test', pattern: 'zone-plate' };
    const full = packed(await pull(launchString(spec, { width: 320, height: 240, live: false, numBuffers: 1 })));
    const crop = { x: 40, y: 30, width: 100, height: 60 };
    const region = packed(await pull(launchString(spec, { width: 100, height: 60, crop, live: false, numBuffers: 1 })));
    const expected = Buffer.concat(
      Array.from({ length: crop.height }, (_, y) => full.subarray(((crop.y + y) * 320 + crop.x) * 3, ((crop.y + y) * 320 + crop.x + crop.width) * 3)),
    );
    const maxDiff = region.reduce((max, v, i) => Math.max(max, Math.abs(v - expected[i]!)), 0);
    // Colour conversion of the cropped planes may round differently; a misplaced crop differs by up to 255.
    expect(maxDiff).toBeLessThanOrEqual(8);
  });

  it('should letterbox a 4:3 image into a square instead of squashing it', async () => {
    // videotestsrc would produce any size asked for; the crop fixes the image at 4:3.
    const crop = { x: 0, y: 0, width: 160, height: 120 };
    const frame = packed(await pull(launchString({ kind: 'test', pattern: 'white' }, { width: 120, height: 120, crop, live: false, numBuffers: 1 })));
    const pixel = (x: number, y: number) => frame[(y * 120 + x) * 3]!;
    // 160x120 into 120x120: the image is 120x90, with 15-row black borders above and below.
    expect([pixel(60, 0), pixel(60, 13)]).toEqual([0, 0]);
    expect([pixel(60, 16), pixel(60, 60), pixel(60, 103)]).toEqual([255, 255, 255]);
    expect(pixel(60, 119)).toBe(0);
  });
});

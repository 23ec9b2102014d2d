/**
 * A crop outside the camera's image fails GStreamer's negotiation with "Internal data stream error", which the error
 * line blamed on the file (issue 20, item 19). After the first such failure the capture asks the source for its size
 * once (a short capture process) and names the crop, the camera and the image size instead. Real GStreamer, the
 * 320x240 test video.
 */
import { describe, expect, it } from 'vitest';
import { uniadError } from '../../src/errors.js';
import { loggerFrom } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import { cropFits, probeSourceSize } from '../../src/sources/source-size.js';
import type { GstSourceSpec } from '../../src/sources/launch.js';
import { parseSourceUri } from '../../src/sources/uri.js';
import { testVideo } from '../setup/video.js';

const spec = parseSourceUri(testVideo.path, 'source', '/') as GstSourceSpec;

describe('a crop outside the camera image', () => {
  it('should read the size of the frames a source decodes to', async () => {
    expect(await probeSourceSize(spec).size).toEqual({ width: testVideo.width, height: testVideo.height });
    expect(cropFits({ x: 120, y: 40, width: 200, height: 200 }, { width: 320, height: 240 })).toBe(true);
    expect(cropFits({ x: 121, y: 40, width: 200, height: 200 }, { width: 320, height: 240 })).toBe(false);
  });

  it('should be named, with the camera and the image size, by the camera\'s error lines', async () => {
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = loggerFrom((level, msg, fields) => void lines.push({ level, msg, fields }));
    const camera = { id: 'side', line: 'l', product: 'p', spec, crop: { x: 300, y: 0, width: 200, height: 200 }, loop: false, watchdogSeconds: 10 };
    const sub = captureCamera(camera, { width: 64, height: 64, logger, restart: { initialMs: 200, maxMs: 400, factor: 2 } }).subscribe();
    try {
      const deadline = Date.now() + 45_000;
      const named = () => lines.find((l) => l.msg === "camera crop lies outside the camera's image");
      while (named() === undefined) {
        if (Date.now() > deadline) throw new Error(`no line named the crop; the log: ${JSON.stringify(lines.map((l) => l.msg))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const message = "camera side: the crop (x 300, y 0, 200x200) lies outside the camera's image of 320x240; no frame can be taken (make the crop fit: x + width and y + height within the image, in the camera's own pixels)";
      expect(uniadError('SOURCE_CROP', 'side', 'x 300, y 0, 200x200', '320x240').message).toBe(message);
      expect(named()).toMatchObject({ level: 'error', fields: { camera: 'side', crop: camera.crop, image: { width: 320, height: 240 }, fix: message, code: 'SOURCE_CROP' } });
      // SOURCE_CROP: the error lines from then on say what to fix, not "check that the file exists"
      while (!lines.some((l, i) => i > lines.indexOf(named()!) && l.msg === 'camera pipeline error')) {
        if (Date.now() > deadline) throw new Error('no pipeline error after the crop was named');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lines.filter((l) => l.msg === 'camera pipeline error').at(-1)!.fields!['fix']).toBe(message);
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);
});

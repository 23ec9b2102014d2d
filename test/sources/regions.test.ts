/**
 * A camera with regions through real GStreamer: one appsink a region, the regions of a frame from the same source
 * frame, cropped where the config says to the pixel (odd offsets too), and a source of another size than configured
 * refused with a reason that says so.
 */
import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import type { CameraEvent } from '../../src/sources/events.js';
import { regionSinks, launchString } from '../../src/sources/launch.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import { cropImage } from '../../src/tiles/region-image.js';
import { regionLayout } from '../../src/tiles/layout.js';
import { testVideo } from '../setup/video.js';

const input = { width: 64, height: 64 };
const size = { width: 320, height: 240 };
const layouts = [
  regionLayout('cam1', { name: 'full', x: 0, y: 0, ...size, tiles: { scale: 1, overlap: 0 } }, input),
  regionLayout('cam1', { name: 'odd', x: 11, y: 7, width: 201, height: 99, tiles: { scale: 1, overlap: 8 } }, input),
  regionLayout('cam1', { name: 'whole', x: 0, y: 0, ...size }, input),
];
const camera = (spec: SourceSpec, extra: object = {}) => ({ id: 'cam1', line: 'line1', product: 'p', spec, loop: false, watchdogSeconds: 30, regionLayouts: layouts, size, ...extra });

describe('capture with regions', () => {
  it('should describe one branch and appsink a region after one conversion to RGB, dropping whole frames before the tee', () => {
    const launch = launchString({ kind: 'test', pattern: 'ball' }, { ...input, size, regions: layouts.map((l) => ({ crop: l.source, width: l.width, height: l.height })) });
    expect(regionSinks(3)).toEqual(['sink-0', 'sink-1', 'sink-2']);
    expect(launch).toContain('capsfilter caps=video/x-raw,width=320,height=240 ! videoconvert ! video/x-raw,format=RGB ! queue leaky=downstream');
    expect(launch.match(/appsink name=sink-\d max-buffers=1 drop=false/g)).toHaveLength(3);
    expect(launch).toContain('videocrop left=11 top=7 right=-1 bottom=-1 ! video/x-raw,width=201,height=99');
  });

  it('should give every frame all its regions, from the same source frame, cut where the config says', async () => {
    const frames = await lastValueFrom(captureCamera(camera({ kind: 'test', pattern: 'ball' }, { fps: 30 }), { ...input, logger: silentLogger }).pipe(take(12), toArray()));
    expect(frames.map((f) => f.seq)).toEqual([...Array(12).keys()]);
    for (const f of frames) {
      expect(f.regions!.map((r) => [r.layout.name, r.pixels.length])).toEqual([['full', 320 * 240 * 3], ['odd', 201 * 99 * 3], ['whole', 64 * 64 * 3]]);
      // the moving ball makes every source frame different: the odd region is the full one's pixels at (11, 7)
      const full = { width: 320, height: 240, pixels: f.regions![0]!.pixels };
      expect(Buffer.from(cropImage(full, layouts[1]!.source).pixels).equals(Buffer.from(f.regions![1]!.pixels)), `frame ${f.seq}`).toBe(true);
    }
  });

  it('should refuse a source of another size than configured, saying it could not negotiate and what to check', async () => {
    const events: CameraEvent[] = [];
    const sub = captureCamera(camera({ kind: 'file', path: testVideo.path }, { size: { width: 640, height: 480 } }), { ...input, logger: silentLogger, onEvent: (e) => events.push(e), restart: { initialMs: 50, maxMs: 50, factor: 1 } }).subscribe();
    try {
      const until = Date.now() + 30_000;
      while (!events.some((e) => e.type === 'error') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(events.find((e) => e.type === 'error')).toMatchObject({ message: expect.stringMatching(/reason not-negotiated/) });
    } finally {
      sub.unsubscribe();
    }
  });
});

import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { loggerFrom } from '../../src/log.js';
import { cameraFrames } from '../../src/service/camera-frames.js';
import { flowControl } from '../../src/service/flow-control.js';
import { cameraLogLine } from '../../src/sources/camera-log.js';
import type { CameraEvent } from '../../src/sources/events.js';
import { installedElements } from '../../src/sources/gst-elements.js';
import { testVideo } from '../setup/video.js';

const jetson = installedElements(['nvv4l2decoder', 'nvvidconv']).size === 2;

describe('camera decoders at start', () => {
  // Without a Jetson the NVMM elements are missing: a camera that asks for nvmm says so once and still delivers every
  // frame, decoded in software. (On a Jetson it takes the NVMM path instead; this test then only counts frames.)
  it('falls back to software with one line naming what is missing, and the frames still come', async () => {
    const cfg = parseConfig({ cameras: [{ id: 'replay', line: 'l', product: 'p', source: testVideo.path, decoder: 'nvmm' }], model: { path: '/m.onnx' } });
    const lines: string[] = [];
    const logger = loggerFrom((level, msg) => void lines.push(`${level} ${msg}`));
    const { frames$ } = cameraFrames(cfg.cameras, { width: 64, height: 64, flow: flowControl(cfg.cameras), logger });
    const frames = await firstValueFrom(frames$.pipe(toArray()));
    expect(frames).toHaveLength(testVideo.frames);
    expect(frames[0]).toMatchObject({ camera: 'replay', width: 64, height: 64 });
    const decoderLines = lines.filter((l) => l.includes('decoder'));
    expect(decoderLines).toEqual(jetson ? ['info camera replay: decoder nvmm'] : ['warn camera replay: decoder nvmm: nvv4l2decoder, nvvidconv not found by gst-inspect-1.0; decoding in software (decodebin)']);
  }, 30_000);
});

describe('camera event logs', () => {
  it('should log each camera event once: a camera restarted once gives one restart line', async () => {
    const cfg = parseConfig({ cameras: [{ id: 'ball', line: 'l', product: 'p', source: 'test:ball' }], model: { path: '/m.onnx' } });
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = loggerFrom((level, msg, fields) => void lines.push({ level, msg, fields }));
    const events: CameraEvent[] = [];
    const { frames$ } = cameraFrames(cfg.cameras, { width: 32, height: 24, flow: flowControl(cfg.cameras), logger, onCameraEvent: (e) => events.push(e) });
    let frames = 0;
    const sub = frames$.subscribe(() => frames++);
    const until = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const pids = () => events.flatMap((e) => (e.type === 'started' ? [e.pid] : []));
    try {
      await until(() => frames >= 3, 'the first frames');
      process.kill(pids()[0]!, 'SIGKILL');
      const before = frames;
      await until(() => pids().length === 2 && frames >= before + 3, 'frames from a second capture process');
    } finally {
      sub.unsubscribe();
    }
    const source = 'test:ball';
    const expected = events.map((e) => cameraLogLine(e, { source, fix: '' }).msg);
    const eventLines = lines.filter((l) => expected.includes(l.msg) || l.msg === 'camera');
    expect(events.map((e) => e.type)).toEqual(['started', 'exited', 'restarting', 'started']);
    expect(eventLines.map((l) => l.msg)).toEqual(['camera capture started', 'camera capture process exited', 'restarting camera capture', 'camera capture started']);
    expect(eventLines.filter((l) => l.msg === 'restarting camera capture')).toEqual([{ level: 'warn', msg: 'restarting camera capture', fields: { camera: 'ball', source, attempt: 1, delayMs: 500 } }]);
  }, 60_000);
});

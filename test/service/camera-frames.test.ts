import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { loggerFrom } from '../../src/log.js';
import { cameraFrames } from '../../src/service/camera-frames.js';
import { flowControl } from '../../src/service/flow-control.js';
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

import { describe, expect, it } from 'vitest';
import { defaultGenicam, genicamSpec, pixelFormats } from '../../src/sources/genicam.js';

const out = { width: 64, height: 48, crop: { x: 10, y: 0, width: 100, height: 75 } };

describe('the GenICam capture child spec', () => {
  it('should carry the camera, its settings in order, every pixel format conversion, and the launch after the camera', () => {
    const spec = JSON.parse(genicamSpec('Aravis-Fake-T1', { ...defaultGenicam, pixelFormat: 'BayerRG8', exposureUs: 5000, features: { ReverseX: true, BlackLevel: 4, LineSelector: 'Line2' } }, out));
    expect(spec).toEqual({
      device: 'Aravis-Fake-T1',
      pixelFormat: 'BayerRG8',
      exposureUs: 5000,
      trigger: { mode: 'off', timeoutMs: 1000 },
      packetSocket: true,
      features: [
        ['ReverseX', 'true'],
        ['BlackLevel', '4'],
        ['LineSelector', 'Line2'],
      ],
      formats: pixelFormats,
      launch:
        'videocrop left=10 top=0 right=-1 bottom=-1 ! video/x-raw,width=100,height=75 ! videoscale add-borders=true ! video/x-raw,width=64,height=48,pixel-aspect-ratio=1/1 ! videoconvert ! video/x-raw,format=RGB ! appsink name=sink max-buffers=2 drop=true sync=false',
    });
  });

  it('should drop no frame of a triggered camera on the way to the parent: each is a part', () => {
    for (const mode of ['software', 'hardware'] as const) {
      const spec = JSON.parse(genicamSpec('T1', { ...defaultGenicam, trigger: { mode, source: 'Line1', timeoutMs: 500 } }, { width: 8, height: 8 }));
      expect(spec.launch).toMatch(/appsink name=sink max-buffers=16 drop=false sync=false$/);
    }
  });
});

/** `cameras[].genicam`: what a GenICam camera's settings may be, and the rules that tie them to its source. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { cameraDoc, refusal as refused } from './camera-doc.js';

const doc = (cam: Record<string, unknown>) => cameraDoc({ id: 'g1', source: 'genicam://Aravis-Fake-T1' }, cam);
const refusal = (cam: Record<string, unknown>) => refused(doc(cam));

describe('a GenICam camera in the config', () => {
  it('should take every setting, fill the defaults and keep the features in order', () => {
    // every field given, none left to a default: the config comes back as written
    const genicam = {
      pixelFormat: 'BayerGR8',
      roi: { x: 8, y: 16, width: 640, height: 480 },
      exposureUs: 2500,
      gain: 6,
      trigger: { mode: 'software', timeoutMs: 250 },
      packetSize: 8192,
      packetSocket: false,
      features: { ReverseY: true, BlackLevel: 3, LineSelector: 'Line2' },
    };
    // a software-triggered camera fires its triggers on its part signal (docs/parts.md)
    const cam = parseConfig(doc({ genicam, parts: { signal: { kind: 'mqtt' } } }), '/etc/uniad', {}).cameras[0]!;
    expect(cam.spec).toEqual({ kind: 'genicam', camera: 'Aravis-Fake-T1' });
    expect(cam.genicam).toEqual(genicam);
    expect(Object.keys(cam.genicam!.features)).toEqual(['ReverseY', 'BlackLevel', 'LineSelector']);
    expect(parseConfig(doc({ genicam: {} }), '/etc/uniad', {}).cameras[0]!.genicam).toEqual({ trigger: { mode: 'off', timeoutMs: 1000 }, packetSocket: true, features: {} });
    expect(parseConfig(doc({}), '/etc/uniad', {}).cameras[0]!.genicam).toBeUndefined();
  });

  it('should name each bad setting and its fix', () => {
    const message = refusal({
      genicam: { pixelFormat: 'BayerRG12', exposureUs: 0, roi: { x: -1, y: 0, width: 64, height: 64 }, packetSize: 100_000, trigger: { mode: 'hardware' }, features: { 'Black Level': 1, ExposureTime: 10, Gamma: null }, speed: 'fast' },
    });
    for (const part of [
      'cameras[0].genicam.pixelFormat: "BayerRG12" is not one of "Mono8", "Mono16", "BayerRG8", "BayerBG8", "BayerGB8", "BayerGR8", "RGB8", "BGR8"',
      'cameras[0].genicam.exposureUs:',
      'the exposure time in microseconds',
      'cameras[0].genicam.roi.x:',
      "the region's left edge on the sensor (OffsetX)",
      'cameras[0].genicam.packetSize:',
      "at most the camera NIC's MTU (1500, or 9000 with jumbo frames)",
      'cameras[0].genicam.trigger.source: required with mode hardware: the camera input the PLC pulses (TriggerSource, e.g. Line1)',
      'cameras[0].genicam.features.Black Level: "Black Level" is not a GenICam feature name',
      'cameras[0].genicam.features.ExposureTime: set ExposureTime with genicam.exposureUs, not under features',
      'cameras[0].genicam.features.Gamma: give the value as a string, a number or true/false',
      'cameras[0].genicam: unknown key "speed"',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('should refuse a trigger source for a software trigger, and a frame rate for a triggered camera', () => {
    expect(refusal({ genicam: { trigger: { mode: 'software', source: 'Line1' } } })).toContain(
      'cameras[0].genicam.trigger.source: "Line1" applies to mode hardware only (a software trigger\'s source is Software; remove it, or set mode: hardware)',
    );
    expect(refusal({ genicam: { frameRate: 30, trigger: { mode: 'hardware', source: 'Line1' } } })).toContain(
      'cameras[0].genicam.frameRate: a hardware-triggered camera takes one frame per trigger (remove frameRate, or set trigger.mode: off)',
    );
  });

  it('should keep genicam settings to genicam sources, the frame rate to the camera, and the watchdog above two frames', () => {
    expect(refusal({ source: 'test:ball', genicam: { exposureUs: 100 } })).toContain('cameras[0].genicam: applies to a genicam:// source only, this camera\'s is "test:ball" (remove genicam, or change source)');
    expect(refusal({ fps: 10 })).toContain('cameras[0].fps: a GenICam camera runs at its own frame rate: set genicam.frameRate instead');
    expect(refusal({ watchdogSeconds: 1, genicam: { frameRate: 1 } })).toContain(
      'cameras[0].watchdogSeconds: 1 s is less than two frames at genicam.frameRate 1 (2 s): the camera would be restarted between frames (raise watchdogSeconds or frameRate)',
    );
  });
});

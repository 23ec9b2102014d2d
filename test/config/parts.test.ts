/** `cameras[].parts`: how a camera forms parts, and the rules that tie it to the camera. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { cameraDoc, refusal } from './camera-doc.js';

const doc = (cam: Record<string, unknown>) => cameraDoc({ source: 'test:' }, cam);
const parts = (cam: Record<string, unknown>) => parseConfig(doc(cam), '/etc/uniad', {}).cameras[0]!.parts;
const refused = (cam: Record<string, unknown>) => refusal(doc(cam));

describe('cameras[].parts in the config', () => {
  it('should take a part signal as the actuator writes it, with the defaults filled in', () => {
    expect(parts({ parts: { signal: { kind: 'mqtt' } } })).toEqual({ signal: { kind: 'mqtt' }, frames: 1, frameTimeoutMs: 1500, signalLagMs: 100, rule: 'any' });
    expect(parts({ parts: { signal: { kind: 'modbus', host: '10.0.0.5', counterRegister: 0, partIdRegister: 1 }, frames: 3, rule: 'k-of-n', k: 2, decisionBudgetMs: 800 } })).toEqual({
      signal: { kind: 'modbus', host: '10.0.0.5', port: 502, unitId: 1, timeoutMs: 200, counterRegister: 0, partIdRegister: 1, bits: 16, pollMs: 5 },
      frames: 3,
      frameTimeoutMs: 1500,
      signalLagMs: 100,
      rule: 'k-of-n',
      k: 2,
      decisionBudgetMs: 800,
    });
    expect(parts({ parts: { signal: { kind: 'opcua', endpoint: 'opc.tcp://plc:4840', counterNode: 'ns=2;s=Line1.Parts' } } })?.signal).toMatchObject({ kind: 'opcua', securityMode: 'None', bits: 16, samplingMs: 5 });
    expect(parts({})).toBeUndefined();
  });

  it('should take a detector, the station one with the whole image by default', () => {
    expect(parts({ parts: { detector: { kind: 'station' } } })?.detector).toEqual({ kind: 'station', motionThreshold: 3, settleFrames: 2, frames: 3 });
    expect(parts({ parts: { detector: { kind: 'presence', region: { x: 0.25, y: 0.5, width: 0.5, height: 0.5 }, darker: 60 } } })?.detector).toEqual({
      kind: 'presence',
      region: { x: 0.25, y: 0.5, width: 0.5, height: 0.5 },
      darker: 60,
      settleFrames: 2,
      frames: 3,
    });
  });

  it('should name each bad field and its fix', () => {
    const message = refused({ parts: { signal: { kind: 'modbus', host: 'plc' }, frames: 0, rule: 'k-of-n', detector: { kind: 'station', region: { x: 0.8, y: 0, width: 0.5, height: 1 } } } });
    for (const issue of [
      'cameras[0].parts.signal.counterRegister: required',
      'cameras[0].parts.frames: 0 is out of range: whole numbers 1 to 1000 frames',
      'cameras[0].parts.detector.region.width: x + width is 1.3: the region ends beyond the image\'s right edge (at most 1)',
    ]) {
      expect(message).toContain(issue);
    }
  });

  it('should refuse a camera that says neither where its parts come from, or both', () => {
    expect(refused({ parts: {} })).toContain("cameras[0].parts: give signal (the PLC's part signal) or detector (parts found in the frames)");
    expect(refused({ parts: { signal: { kind: 'mqtt' }, detector: { kind: 'station' } } })).toContain('cameras[0].parts.detector: a camera with a part signal takes its parts from it (remove detector, or signal)');
  });

  it('should tie k to the k-of-n rule and to the frames a part takes', () => {
    expect(refused({ parts: { signal: { kind: 'mqtt' }, rule: 'k-of-n' } })).toContain('cameras[0].parts.k: required with rule k-of-n: how many frames of a part must reject');
    expect(refused({ parts: { signal: { kind: 'mqtt' }, k: 2 } })).toContain('cameras[0].parts.k: applies to rule k-of-n only, the rule is "any" (remove k, or set rule: k-of-n)');
    expect(refused({ parts: { signal: { kind: 'mqtt' }, rule: 'k-of-n', k: 3, frames: 2 } })).toContain('cameras[0].parts.k: 3 is more than the 2 frames a part takes (frames): no part could reject');
    expect(refused({ parts: { detector: { kind: 'station', frames: 2 }, rule: 'k-of-n', k: 3 } })).toContain('(detector.frames)');
  });

  it('should refuse a presence detector without one of brighter and darker, and a part that settles after it is full', () => {
    expect(refused({ parts: { detector: { kind: 'presence', region: { x: 0, y: 0, width: 1, height: 1 } } } })).toContain('cameras[0].parts.detector.brighter: give one of brighter');
    expect(refused({ parts: { detector: { kind: 'presence', region: { x: 0, y: 0, width: 1, height: 1 }, brighter: 1, darker: 2 } } })).toContain('give one of brighter');
    expect(refused({ parts: { detector: { kind: 'station', settleFrames: 4, frames: 3 } } })).toContain('cameras[0].parts.detector.settleFrames: 4 is more than detector.frames (3)');
  });

  describe('on a triggered GenICam camera', () => {
    const genicam = (mode: string, extra: Record<string, unknown> = {}) => ({ source: 'genicam://Aravis-Fake-T1', genicam: { trigger: { mode, ...(mode === 'hardware' ? { source: 'Line1' } : {}), ...extra } } });

    it('should take a software-triggered camera with its part signal, and refuse one without', () => {
      expect(parts({ ...genicam('software'), parts: { signal: { kind: 'mqtt' } } })?.signal).toEqual({ kind: 'mqtt' });
      expect(refused(genicam('software'))).toContain('cameras[0].parts.signal: a software-triggered camera fires one trigger per part signal: give parts.signal (kind mqtt, modbus or opcua)');
      // a hardware-triggered camera without a signal still scores each frame: the PLC may pulse only the camera
      expect(parseConfig(doc(genicam('hardware')), '/etc/uniad', {}).cameras[0]!.parts).toBeUndefined();
    });

    it('should take one frame per part, from the signal, and wait for it longer than the camera does', () => {
      expect(refused({ ...genicam('hardware'), parts: { signal: { kind: 'mqtt' }, frames: 2 } })).toContain('cameras[0].parts.frames: a hardware-triggered camera takes one frame per part (remove frames, or set genicam.trigger.mode: off to grab 2)');
      expect(refused({ ...genicam('hardware'), parts: { detector: { kind: 'station' } } })).toContain('cameras[0].parts.detector: a hardware-triggered camera takes one frame per part, from its part signal (remove detector, give parts.signal)');
      expect(refused({ ...genicam('software', { timeoutMs: 1000 }), parts: { signal: { kind: 'mqtt' }, frameTimeoutMs: 800 } })).toContain(
        'cameras[0].parts.frameTimeoutMs: 800 ms is not above genicam.trigger.timeoutMs (1000 ms): a part would be given up while its camera still waits for the frame (raise it, e.g. to 1500)',
      );
    });
  });
});

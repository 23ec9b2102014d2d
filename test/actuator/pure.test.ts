/** The actuator's pure parts: decision intake, the service status rule, the conveyor models, the records, gpioset's command lines. */
import { describe, expect, it } from 'vitest';
import { beltConveyor } from '../../src/actuator/conveyor.js';
import { parseDecision } from '../../src/actuator/decision.js';
import { EncoderTrack } from '../../src/actuator/encoder.js';
import { chipPath, gpiodMajor, holdArgs } from '../../src/actuator/outputs/gpioset.js';
import { modbusRecord } from '../../src/actuator/outputs/modbus-coil.js';
import { recordJson } from '../../src/actuator/outputs/opcua-node.js';
import type { EjectionRecord } from '../../src/actuator/outputs/output.js';
import { serviceHoldReason } from '../../src/actuator/service-status.js';
import { partDecision } from './fixtures.js';

const record = (over: Partial<EjectionRecord> = {}): EjectionRecord => ({
  id: 'cam1:part:70000',
  partId: '70000',
  camera: 'cam1',
  line: 'l1',
  reject: true,
  reason: 'decided',
  decision: 'anomaly',
  source: 'signal',
  deadlineAt: 1000.4,
  firedAt: 1000.6,
  slackMs: 120.4,
  sequence: 65_537,
  outputOk: true,
  ...over,
});

describe('decision intake', () => {
  it('should read a part decision of the MQTT contract', () => {
    expect(parseDecision(partDecision('12', true, 500))).toEqual({ ok: true, decision: { id: 'cam1:part:12', partId: '12', camera: 'cam1', line: 'l1', reject: true, reason: 'anomaly', signalAt: 500 } });
  });

  it('should refuse what is not one, naming the field', () => {
    expect(parseDecision('{')).toEqual({ ok: false, why: 'not JSON' });
    expect(parseDecision('[]')).toMatchObject({ ok: false });
    expect(parseDecision(JSON.stringify({ ...JSON.parse(partDecision('1', true)), reject: 'yes' }))).toEqual({ ok: false, why: 'reject must be true or false' });
    expect(parseDecision(JSON.stringify({ ...JSON.parse(partDecision('1', true)), id: '' }))).toEqual({ ok: false, why: 'id must be a non-empty string' });
    expect(parseDecision(JSON.stringify({ ...JSON.parse(partDecision('1', true)), signalAt: 'soon' }))).toEqual({ ok: false, why: 'signalAt must be epoch milliseconds' });
  });
});

describe("the service's status, for a station without a part signal", () => {
  const causes = ['CAMERA_STALLED'];
  it('should hold while the service is offline or degraded by a hold cause, and not while online or degraded otherwise', () => {
    expect(serviceHoldReason('{"state":"online"}', 'edge', causes)).toBeUndefined();
    expect(serviceHoldReason('{"state":"offline","reason":"connection lost"}', 'edge', causes)).toBe('service "edge" is offline');
    expect(serviceHoldReason('{"state":"degraded","causes":[{"code":"QUEUE_DISK","message":"x"},{"code":"CAMERA_STALLED","message":"y"}]}', 'edge', causes)).toBe('service "edge" is degraded: CAMERA_STALLED');
    expect(serviceHoldReason('{"state":"degraded","causes":[{"code":"QUEUE_DISK","message":"x"}]}', 'edge', causes)).toBeUndefined();
    expect(serviceHoldReason('not json', 'edge', causes)).toContain('not JSON');
    expect(serviceHoldReason('{"state":"sleeping"}', 'edge', causes)).toContain('unknown state');
  });
});

describe('the conveyor models', () => {
  it('should put a part on a belt at the ejector distance/speed after its signal', () => {
    const belt = beltConveyor(1200, 500);
    expect(belt.ejectorPosition(1000)).toBe(3400);
    expect(belt.msUntil(3400, 3000)).toBe(400);
  });

  it('should follow an encoder across its wrap, interpolate a signal time between readings and wait while the belt stands', () => {
    const enc = new EncoderTrack(16, 1000);
    expect(enc.ejectorPosition(0)).toBeUndefined();
    enc.add(65_000, 0);
    enc.add(65_500, 100); // 5 counts/ms
    enc.add(464, 200); // wrapped: +500
    expect(enc.speed()).toBe(5);
    expect(enc.positionAt(150)).toBe(750);
    expect(enc.ejectorPosition(150)).toBe(1750);
    expect(enc.msUntil(1750, 200)).toBe(150);
    expect(enc.msUntil(900, 200)).toBe(-20);
    enc.add(464, 300);
    enc.add(464, 500);
    expect(enc.speed()).toBe(0);
    expect(enc.msUntil(1750, 500)).toBe(Infinity);
  });
});

describe('the decision records', () => {
  it('should write a Modbus record of 7 registers: sequence, part id, decision, reason, slack, output', () => {
    expect(modbusRecord(record())).toEqual([1, 1, 4464, 1, 1, 120, 1]);
    expect(modbusRecord(record({ partId: 'cam1:run:3', reject: false, reason: 'fail-safe', slackMs: -5, outputOk: undefined }))).toEqual([1, 0xffff, 0xffff, 0, 2, 0xfffb, 2]);
    expect(modbusRecord(record({ slackMs: undefined, outputOk: false }))[5]).toBe(0x8000);
  });

  it('should write an OPC UA record as JSON', () => {
    expect(JSON.parse(recordJson(record({ slackMs: undefined })))).toEqual({
      sequence: 65_537,
      id: 'cam1:part:70000',
      partId: '70000',
      reject: true,
      reason: 'decided',
      decision: 'anomaly',
      deadlineAt: 1000,
      firedAt: 1001,
      slackMs: null,
      outputOk: true,
    });
  });
});

describe("gpioset's command lines", () => {
  const line = { chip: 'gpiochip0', line: 17, activeLow: false };
  it('should hold a line with libgpiod 1.x and 2.x syntax', () => {
    expect(holdArgs(1, line, 1)).toEqual(['--mode=signal', 'gpiochip0', '17=1']);
    expect(holdArgs(1, { ...line, activeLow: true }, 0)).toEqual(['--mode=signal', '--active-low', 'gpiochip0', '17=0']);
    expect(holdArgs(2, line, 1)).toEqual(['--chip', 'gpiochip0', '--banner', '17=1']);
    expect(holdArgs(2, { ...line, activeLow: true }, 0)).toEqual(['--chip', 'gpiochip0', '--active-low', '--banner', '17=0']);
  });

  it("should tell libgpiod's generation from gpioset --version and a chip's device file from its name", () => {
    expect(gpiodMajor('gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski')).toBe(1);
    expect(gpiodMajor('gpioset v2.1 (libgpiod v2.1)')).toBe(2);
    expect(gpiodMajor('something else')).toBeUndefined();
    expect([chipPath('gpiochip2'), chipPath('3'), chipPath('/dev/gpiochip4')]).toEqual(['/dev/gpiochip2', '/dev/gpiochip3', '/dev/gpiochip4']);
  });
});

/** The actuator's own config: the shipped example is valid, a bad one is refused with every issue named at once. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadActuatorConfig, parseActuatorConfig } from '../../src/actuator/config/load.js';
import { UniadError } from '../../src/errors.js';
import { repoRoot } from '../setup/paths.js';
import { tempDir } from './fixtures.js';

const temp = tempDir('config');
afterAll(() => temp.rm());

function refusal(doc: unknown): UniadError {
  try {
    parseActuatorConfig(doc, '/etc/uniad-edge', {});
  } catch (err) {
    expect(err).toBeInstanceOf(UniadError);
    return err as UniadError;
  }
  throw new Error('expected the config to be refused');
}

const belt = { kind: 'belt', distanceMm: 600, speedMmPerS: 1000 };

describe("the actuator's config", () => {
  it('should accept deploy/actuator.example.yaml with its defaults filled in', () => {
    const cfg = loadActuatorConfig(join(repoRoot, 'deploy/actuator.example.yaml'), { STATE_DIRECTORY: '/var/lib/uniad-edge' });
    expect(cfg).toMatchObject({
      name: 'line1-ejector',
      stateDir: '/var/lib/uniad-edge',
      mqtt: { url: 'mqtt://127.0.0.1:1883', prefix: 'uniad/plant1' },
      service: { node: 'edge', holdCauses: expect.arrayContaining(['CAMERA_STALLED']) },
      metrics: { host: '127.0.0.1', port: 8090 },
    });
    expect(cfg.stations.map((s) => [s.camera, s.signal?.kind, s.conveyor.kind, s.output.kind, s.failSafe])).toEqual([
      ['cam1', 'modbus', 'belt', 'modbus', 'reject'],
      ['cam2', undefined, 'belt', 'gpio', 'reject'],
    ]);
    expect(cfg.stations[0]!.signal).toMatchObject({ port: 502, unitId: 1, bits: 16, timeoutMs: 200 });
  });

  it('should name every issue at once, each with its field and fix', () => {
    const err = refusal({
      nmae: 'x',
      mqtt: { url: 'http://broker', cert: 'c.pem' },
      stations: [
        { camera: 'cam1', line: 'l1', signal: { kind: 'modbuss' }, conveyor: belt, output: { kind: 'gpio', chip: 'pin7', line: 3, leadMs: 700 } },
        { camera: 'cam1', line: 'l1', conveyor: { kind: 'encoder', host: 'plc', register: 4 }, output: { kind: 'mqtt', pulseMs: 0 }, failSafe: 'maybe' },
      ],
    });
    expect(err.code).toBe('CONFIG_INVALID');
    for (const part of [
      'stations[1].camera: camera "cam1" of line "l1" has another station',
      'stations[0].output.leadMs: 700 ms is not less than the part\'s travel to the ejector (600.0 ms at 1000 mm/s over 600 mm)',
      'mqtt.key: a client certificate needs both mqtt.cert and mqtt.key',
      'stations[0].signal.kind: "modbuss" is not one of "modbus", "opcua", "mqtt"',
      'stations[0].output.chip: write gpiochipN, N or /dev/gpiochipN (gpiodetect lists them)',
      'stations[1].conveyor.countsToEjector: required (add it; see deploy/actuator.example.yaml)',
      'stations[1].output.pulseMs: 0 is out of range: 1 to 10000 ms',
      'stations[1].failSafe: "maybe" is not one of "reject", "pass"',
      '(top level): unknown key "nmae" (remove, or check the spelling against deploy/actuator.example.yaml)',
      'mqtt.url: use mqtt://, mqtts://, ws:// or wss://',
    ]) {
      expect(err.message).toContain(part);
    }
  });

  it('should ask for at least one station', () => {
    expect(refusal({}).message).toContain('stations: required');
    expect(refusal({ stations: [] }).message).toContain('stations: add at least one station');
  });

  it('should read secrets from systemd credentials and take them out of the broker URL, and resolve paths against the config folder', () => {
    const creds = join(temp.dir, 'creds');
    mkdirSync(creds);
    writeFileSync(join(creds, 'uniad_opcua'), 'plc-secret\n');
    const file = join(temp.dir, 'actuator.yaml');
    writeFileSync(
      file,
      [
        'stateDir: state',
        'mqtt: { url: "mqtt://act:p%40ss@broker:1883", ca: ca.pem }',
        'stations:',
        '  - camera: cam1',
        '    line: l1',
        '    signal: { kind: opcua, endpoint: "opc.tcp://plc:4840", counterNode: "ns=2;s=Counter", username: ua, password: "credential:uniad_opcua" }',
        '    conveyor: { kind: belt, distanceMm: 500, speedMmPerS: 250 }',
        '    output: { kind: mqtt }',
      ].join('\n'),
    );
    const cfg = loadActuatorConfig(file, { CREDENTIALS_DIRECTORY: creds });
    expect(cfg.mqtt).toMatchObject({ url: 'mqtt://broker:1883', username: 'act', password: 'p@ss', ca: join(temp.dir, 'ca.pem') });
    expect(cfg.stateDir).toBe(join(temp.dir, 'state'));
    expect(cfg.stations[0]!.signal).toMatchObject({ username: 'ua', password: 'plc-secret' });
    expect(() => loadActuatorConfig(file, {})).toThrow(/stations\[0\]\.signal\.password: "credential:uniad_opcua" needs \$CREDENTIALS_DIRECTORY/);
  });
});

/**
 * `uniad-edge actuate` as systemd runs it: a real process on its own config, against the PLC simulator and the
 * embedded broker. It serves /healthz, ejects a part, and stops on SIGTERM with exit 0; a bad config is refused with
 * every issue and exit 1. Runs dist/ when it was built (npm run build), as the other CLI tests do.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { repoRoot } from '../setup/paths.js';
import { freePort } from '../support/free-port.js';
import { PlcSimulator } from '../support/plc-simulator.js';
import { tempDir, until } from './fixtures.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const temp = tempDir('command');
afterAll(() => temp.rm());

describe('uniad-edge actuate', () => {
  it('should refuse a bad config with every issue and exit 1', async () => {
    const path = join(temp.dir, 'bad.yaml');
    writeFileSync(path, 'stations:\n  - { camera: cam1, line: l1, conveyor: { kind: belt, distanceMm: 0, speedMmPerS: 100 }, output: { kind: coil } }\n');
    const result = await promisify(execFile)(process.execPath, [bin, 'actuate', '--config', path], { env: { ...process.env, STATE_DIRECTORY: temp.dir } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stations[0].conveyor.distanceMm: 0 is out of range');
    expect(result.stderr).toContain('stations[0].output.kind: "coil" is not one of "modbus", "opcua", "gpio", "mqtt"');
  });

  it('should refuse to start on a GPIO chip that is not there, with exit 1 and nothing left running', async () => {
    const path = join(temp.dir, 'gpio.yaml');
    writeFileSync(
      path,
      [
        `mqtt: { url: "mqtt://127.0.0.1:${await freePort()}" }`,
        'metrics: { enabled: false }',
        'stations:',
        '  - { camera: cam1, line: l1, conveyor: { kind: belt, distanceMm: 100, speedMmPerS: 100 }, output: { kind: mqtt } }',
        '  - { camera: cam2, line: l1, conveyor: { kind: belt, distanceMm: 100, speedMmPerS: 100 }, output: { kind: gpio, chip: gpiochip97, line: 4 } }',
        '',
      ].join('\n'),
    );
    const result = await promisify(execFile)(process.execPath, [bin, 'actuate', '--config', path], { env: { ...process.env, STATE_DIRECTORY: temp.dir }, timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('gpio: gpiochip97 line 4: there is no /dev/gpiochip97');
  });

  it('should eject parts of a real PLC, answer /healthz, and stop on SIGTERM with exit 0', async () => {
    const plc = await PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 10, coil: 3, travelMs: 200 });
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
    const port = await freePort();
    const path = join(temp.dir, 'actuator.yaml');
    writeFileSync(
      path,
      [
        'name: cli-ejector',
        `mqtt: { url: "${broker.url}" }`,
        `metrics: { port: ${port} }`,
        'stations:',
        '  - camera: cam1',
        '    line: l1',
        `    signal: { kind: modbus, host: 127.0.0.1, port: ${plc.port}, counterRegister: 0, partIdRegister: 1 }`,
        '    conveyor: { kind: belt, distanceMm: 200, speedMmPerS: 1000 }',
        `    output: { kind: modbus, host: 127.0.0.1, port: ${plc.port}, coil: 3, recordRegister: 10 }`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [bin, 'actuate', '--config', path], { env: { ...process.env, STATE_DIRECTORY: temp.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const healthz = async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return res.ok ? ((await res.json()) as { alive: boolean; stations: { holding: boolean }[] }) : undefined;
        } catch {
          return undefined;
        }
      };
      const deadline = Date.now() + 20_000;
      let health = await healthz();
      while (!(health && !health.stations[0]!.holding)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no /healthz without a hold: ${JSON.stringify(health)} ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
        health = await healthz();
      }
      expect(health).toMatchObject({ alive: true, mqttConnected: true, stations: [{ camera: 'cam1', line: 'l1', holding: false, links: { signal: true, output: true } }] });
      plc.part();
      await until(() => plc.records.length === 1, () => `no record: ${stderr}`);
      expect(plc.records[0]).toMatchObject({ partId: '1', reject: true, reason: 'fail-safe' });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('"msg":"actuator: stopped"');
      await broker.close();
      await plc.close();
    }
  });
});

/**
 * deploy/mosquitto/bridge.conf as a box runs it: Debian's mosquitto on the box, bridged to a NATS node's MQTT
 * listener (the backbone). The file is used as shipped, with only the addresses, port and folders of this test
 * swapped in: a retained status published on the box is readable on the backbone, an operator's command published
 * on the backbone reaches the box.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';
import { freePort } from '../support/free-port.js';
import { MOSQUITTO } from '../support/mosquitto.js';
import { NatsCluster } from '../support/nats-cluster.js';
import { subscribe } from '../support/subscriber.js';

describe('the mosquitto bridge from a box to the backbone (deploy/mosquitto/bridge.conf)', () => {
  let cluster: NatsCluster;
  let dir: string;
  let local: ChildProcess;
  let localUrl: string;
  let stderr = '';

  beforeAll(async () => {
    cluster = await NatsCluster.start(1);
    dir = mkdtempSync(join(tmpdir(), 'uniad-bridge-'));
    const port = await freePort();
    localUrl = `mqtt://127.0.0.1:${port}`;
    const shipped = readFileSync(join(repoRoot, 'deploy/mosquitto/bridge.conf'), 'utf8');
    const conf = shipped
      .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${port} 127.0.0.1`)
      .replace(/^persistence_location .*$/m, `persistence_location ${dir}/`)
      .replace(/^addresses .*$/m, `addresses 127.0.0.1:${cluster.nodes[0]!.mqttPort}`);
    expect(conf).not.toBe(shipped);
    // as root mosquitto would switch to the `mosquitto` user, which cannot write our temp folder
    writeFileSync(join(dir, 'bridge.conf'), `${conf}\nuser root\nlog_dest stderr\n`);
    local = spawn(MOSQUITTO, ['-c', join(dir, 'bridge.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    local.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!stderr.includes('mosquitto version')) {
      if (Date.now() > deadline || local.exitCode !== null) throw new Error(`mosquitto did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    local?.kill('SIGTERM');
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should carry a retained status out to the backbone and an operator command in from it', async () => {
    const box = await mqtt.connectAsync(localUrl, { protocolVersion: 4 });
    const commands = await subscribe(localUrl, ['uniad/plant1/+/+/threshold/set']);
    // the bridge subscribes on the backbone once connected: a command is only forwarded from then on
    await expect.poll(async () => {
      const backbone = await mqtt.connectAsync(cluster.mqttUrls[0]!, { protocolVersion: 4 });
      await backbone.publishAsync('uniad/plant1/line1/cam1/threshold/set', '{"threshold":0.7}', { qos: 1 });
      await backbone.endAsync();
      await new Promise((r) => setTimeout(r, 300));
      return commands.on('threshold/set').length;
    }, { timeout: 15_000, interval: 200 }).toBeGreaterThan(0);
    expect(commands.on('threshold/set')[0]!.payload.toString()).toBe('{"threshold":0.7}');

    await box.publishAsync('uniad/plant1/status/edge-line1', '{"state":"online","node":"edge-line1"}', { qos: 1, retain: true });
    await expect.poll(async () => {
      const reader = await subscribe(cluster.mqttUrls[0]!, ['uniad/plant1/status/+']);
      await new Promise((r) => setTimeout(r, 300));
      const got = reader.messages.filter((m) => m.retain).map((m) => m.payload.toString());
      await reader.close();
      return got;
    }, { timeout: 15_000, interval: 200 }).toEqual(['{"state":"online","node":"edge-line1"}']);
    await commands.close();
    await box.endAsync();
  }, 40_000);
});

/**
 * Commands on an external broker (Debian's mosquitto), issue 20 items 2 and 13:
 * - MQTT 5: the request's correlation data comes back on its result, and a response topic outside the prefix gets
 *   the result too; one under the prefix does not (it could pose as a verdict); a command published retained is
 *   refused at once (the subscription keeps the retain flag as published);
 * - MQTT 3.1.1: an HMI's retained `threshold/set` is replayed when the service restarts; it is refused and cleared,
 *   so it no longer undoes the change made after it;
 * - the service warns at start that it cannot see the broker's ACL while commands are on.
 * Tiny model: white frames score 1.0; bolt 0.5 (scale 0.05 to 5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { CommandResult } from '../../src/service/command-registry.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/ext';
const logs: { msg: string; [k: string]: unknown }[] = [];
const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));

describe('commands on an external broker', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-cmd-ext-'));
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (protocolVersion: 4 | 5, stateDir: string) =>
    parseConfig({
      site: 'ext',
      node: `ext${protocolVersion}`,
      stateDir,
      cameras: [{ id: 'a', line: 'l', product: 'bolt', source: 'test:white', fps: 20 }],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20 },
      mqtt: { url: broker.url, prefix, protocolVersion, queue: { store: 'memory' } },
      dashboard: { enabled: false },
      archive: { enabled: false },
    });

  const thresholdsOf = (sub: Subscriber) => sub.json<Verdict>('verdict').map((v) => v.threshold);

  it('should answer an MQTT 5 request with its correlation data, on its response topic outside the prefix, and refuse a retained command at once', async () => {
    const service = await startService(config(5, join(dir, 'v5')), { logger });
    try {
      expect(logs.find((l) => l.msg.startsWith('config: mqtt.commands: commands are on over an external broker'))).toMatchObject({ level: 'warn' });
      const hmi = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      const replies = await subscribe(broker.url, ['hmi/7/replies', `${prefix}/#`], { protocolVersion: 5 });
      await expect.poll(() => replies.on('l/a/threshold').length, { timeout: 20_000 }).toBeGreaterThan(0); // the service is up
      const setA = `${prefix}/l/a/threshold/set`;
      await hmi.publishAsync(setA, JSON.stringify({ threshold: 1.5 }), { qos: 1, properties: { responseTopic: 'hmi/7/replies', correlationData: Buffer.from('req-7') } });
      await expect.poll(() => replies.messages.filter((m) => m.topic === 'hmi/7/replies').length, { timeout: 15_000 }).toBe(1);
      await expect.poll(() => replies.on('l/a/threshold/set/result').length, { timeout: 15_000 }).toBe(1);
      for (const m of [replies.messages.find((x) => x.topic === 'hmi/7/replies')!, replies.on('l/a/threshold/set/result')[0]!]) {
        expect(JSON.parse(m.payload.toString())).toMatchObject({ command: 'threshold', result: 'accepted', inForce: { threshold: 1.5, origin: 'live' } });
        expect(m.correlationData?.toString()).toBe('req-7');
      }

      // a response topic under the prefix is not answered on: the service would publish a "reject" for the client
      await hmi.publishAsync(setA, JSON.stringify({ threshold: 2, requestId: 'pose' }), { qos: 1, properties: { responseTopic: `${prefix}/l/a/reject` } });
      await expect.poll(() => replies.json<CommandResult>('l/a/threshold/set/result').find((r) => r.requestId === 'pose'), { timeout: 15_000 }).toMatchObject({ result: 'accepted' });
      expect(replies.on('l/a/reject').filter((m) => m.payload.toString().includes('"command"'))).toEqual([]);
      expect(logs.some((l) => l.msg.startsWith('a command named a response topic the service does not answer on') && l.responseTopic === `${prefix}/l/a/reject`)).toBe(true);

      // published retained while the service is subscribed: MQTT 5 keeps the flag, the service refuses it at once
      await hmi.publishAsync(setA, JSON.stringify({ threshold: 3, requestId: 'kept' }), { qos: 1, retain: true });
      await expect.poll(() => replies.json<CommandResult>('l/a/threshold/set/result').find((r) => r.requestId === 'kept'), { timeout: 15_000 }).toMatchObject({ result: 'refused', reason: expect.stringMatching(/^it was published retained/), inForce: { threshold: 2 } });
      await hmi.endAsync();
      await replies.close();
    } finally {
      await service.stop('test end');
    }
  });

  it('should refuse an HMI\'s retained threshold/set replayed at a restart, so the change made after it stays', async () => {
    const stateDir = join(dir, 'v4');
    let service: Service = await startService(config(4, stateDir), { logger });
    const sub = await subscribe(broker.url, [`${prefix}/l/#`]);
    try {
      await expect.poll(() => sub.on('l/a/threshold').length, { timeout: 20_000 }).toBeGreaterThan(0);
      const hmi = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
      // the HMI publishes its default retained; on MQTT 3.1.1 a subscriber cannot see the flag of a live message
      await hmi.publishAsync(`${prefix}/l/a/threshold/set`, JSON.stringify({ threshold: 1.5, requestId: 'default' }), { qos: 1, retain: true });
      await expect.poll(() => sub.json<CommandResult>('l/a/threshold/set/result').find((r) => r.requestId === 'default')?.result, { timeout: 15_000 }).toBe('accepted');
      // an operator changes it later, without retain
      await hmi.publishAsync(`${prefix}/l/a/threshold/set`, JSON.stringify({ threshold: 2, requestId: 'later' }), { qos: 1 });
      await expect.poll(() => sub.json<CommandResult>('l/a/threshold/set/result').find((r) => r.requestId === 'later')?.result, { timeout: 15_000 }).toBe('accepted');
      await hmi.endAsync();
      await service.stop('restart');

      // the restart subscribes again: the broker replays the retained default, which the service refuses and clears
      const seen = sub.on('verdict').length;
      service = await startService(config(4, stateDir), { logger });
      await expect
        .poll(() => sub.json<CommandResult>('l/a/threshold/set/result').filter((r) => r.requestId === 'default').at(-1), { timeout: 20_000 })
        .toMatchObject({ result: 'refused', reason: expect.stringMatching(/^it was published retained/), inForce: { threshold: 2, origin: 'live' } });
      await expect.poll(() => sub.on('verdict').length - seen, { timeout: 20_000 }).toBeGreaterThan(5);
      expect(new Set(thresholdsOf(sub).slice(seen))).toEqual(new Set([2]));
      // cleared from the broker: a new subscriber to the topic gets no retained command
      const fresh = await subscribe(broker.url, [`${prefix}/l/a/threshold/set`]);
      await new Promise((r) => setTimeout(r, 1000));
      expect(fresh.messages).toEqual([]);
      await fresh.close();
    } finally {
      await sub.close();
      await service.stop('test end');
    }
  });
});

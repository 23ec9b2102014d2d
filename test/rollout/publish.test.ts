/**
 * Starting a rollout: the message built from the files in the store, published retained and read back; refused by
 * the embedded broker for an account that is not `fleet-admin` (it closes the connection), and by mosquitto whose ACL
 * drops the message while acknowledging it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { publishRollout, rolloutOf } from '../../src/rollout/publish.js';
import { Mosquitto } from '../support/mosquitto.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe } from '../support/subscriber.js';

const prefix = 'uniad/plant1';
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('starting a rollout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-rollout-publish-'));
  const model = tinyVersion(join(dir, 'store'), '2.0.0');
  const admin = { username: 'ann', password: 'fleet-secret', role: 'fleet-admin' as const };
  const operator = { username: 'line-ops', password: 'ops-secret', role: 'operator' as const };
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0, users: [admin, operator] }, silentLogger, { prefix, serviceClientId: 'uniad-edge-svc' });
  });
  afterAll(() => broker.close());

  it('should build the message from the files in the store: URLs under the base, their hashes, the sidecar version', () => {
    const rollout = rolloutOf({ model, urlBase: 'http://models.plant.local/line1', canary: 'edge-1', by: 'ann', now: new Date('2026-12-07T00:00:00Z') });
    expect(rollout).toEqual({
      id: '2.0.0-2026-12-07T00:00:00.000Z',
      version: '2.0.0',
      model: { url: 'http://models.plant.local/line1/tiny-2.0.0.onnx', sha256: sha256(model) },
      sidecar: { url: 'http://models.plant.local/line1/tiny-2.0.0.json', sha256: sha256(join(dir, 'store', 'tiny-2.0.0.json')) },
      canary: 'edge-1',
      by: 'ann',
    });
    expect(() => rolloutOf({ model, urlBase: 'ftp://models.plant.local/', canary: 'edge-1', by: 'ann' })).toThrow(expect.objectContaining({ code: 'ROLLOUT_MESSAGE' }));
  });

  it('should publish it retained for a fleet-admin, and refuse an operator with ROLLOUT_NOT_ACCEPTED', async () => {
    const rollout = rolloutOf({ model, urlBase: 'http://models.plant.local/', canary: 'edge-1', by: 'ann', id: 'r1' });
    await publishRollout({ url: broker.url, prefix, username: admin.username, password: admin.password }, rollout);
    const sub = await subscribe(broker.url, [`${prefix}/fleet/rollout`], { username: admin.username, password: admin.password });
    try {
      await sub.waitFor(1);
      expect(sub.messages[0]).toMatchObject({ topic: `${prefix}/fleet/rollout`, retain: true, qos: 1 });
      expect(JSON.parse(sub.messages[0]!.payload.toString())).toEqual(rollout);
    } finally {
      await sub.close();
    }
    const next = { ...rollout, id: 'r2' };
    await expect(publishRollout({ url: broker.url, prefix, username: operator.username, password: operator.password }, next)).rejects.toMatchObject({
      code: 'ROLLOUT_NOT_ACCEPTED',
      message: expect.stringContaining(`did not take the rollout on ${prefix}/fleet/rollout: it closed the connection (the account may not publish the rollout)`),
    });
  });

  it('should refuse a rollout that a broker acknowledges but drops (a mosquitto ACL) with ROLLOUT_NOT_ACCEPTED', async () => {
    const acl = join(dir, 'read-only.acl');
    writeFileSync(acl, `topic read ${prefix}/#\n`);
    const mosquitto = await Mosquitto.start(['allow_anonymous true', `acl_file ${acl}`]);
    try {
      const rollout = rolloutOf({ model, urlBase: 'http://models.plant.local/', canary: 'edge-1', by: 'ann', id: 'r3' });
      await expect(publishRollout({ url: mosquitto.url, prefix }, rollout, 2000)).rejects.toMatchObject({ code: 'ROLLOUT_NOT_ACCEPTED', message: expect.stringContaining('it did not keep the rollout as the retained message within 2 s') });
    } finally {
      await mosquitto.close();
    }
  });
});

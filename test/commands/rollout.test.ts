/** `uniad-edge rollout start` as a person types it (bin/uniad-edge.js, from dist/ when built), against the embedded broker. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { repoRoot } from '../setup/paths.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe } from '../support/subscriber.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const prefix = 'uniad/plant1';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uniad-edge rollout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-rollout-cli-'));
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0, users: [{ username: 'ann', password: 'fleet-secret', role: 'fleet-admin' }] }, silentLogger, { prefix, serviceClientId: 'uniad-edge-svc' });
  });
  afterAll(() => broker.close());

  it('should publish the rollout of a model in the store with a fleet-admin account and print it', async () => {
    const model = tinyVersion(join(dir, 'store'), '2.0.0');
    const password = join(dir, 'password');
    writeFileSync(password, 'fleet-secret\n');
    const run = await cli('rollout', 'start', model, '--url-base', 'http://models.plant.local/line1/', '--canary', 'edge-1', '--broker', broker.url, '--prefix', prefix, '--username', 'ann', '--password-file', password, '--id', 'r1', '--by', 'ann');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'r1', version: '2.0.0', canary: 'edge-1', by: 'ann', model: { url: 'http://models.plant.local/line1/tiny-2.0.0.onnx' } });
    expect(run.stderr).toBe(`uniad-edge: rollout r1 of 2.0.0 started, canary edge-1; each node answers on ${prefix}/fleet/rollout/status/<node>\n`);
    const sub = await subscribe(broker.url, [`${prefix}/fleet/rollout`], { username: 'ann', password: 'fleet-secret' });
    try {
      await sub.waitFor(1);
      expect(JSON.parse(sub.messages[0]!.payload.toString())).toEqual(JSON.parse(run.stdout));
    } finally {
      await sub.close();
    }
  });

  it('should refuse an action other than start, and a start without an account the broker lets in', async () => {
    expect(await cli('rollout', 'stop', 'x.onnx', '--url-base', 'http://s/', '--canary', 'a', '--broker', broker.url, '--prefix', prefix)).toMatchObject({ code: 2, stderr: expect.stringContaining('rollout takes start, got "stop"') });
    const anonymous = await cli('rollout', 'start', tinyVersion(join(dir, 'anon'), '3.0.0'), '--url-base', 'http://s/', '--canary', 'a', '--broker', broker.url, '--prefix', prefix);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`did not take the rollout on ${prefix}/fleet/rollout: cannot connect: Connection refused: Not authorized (only an account of role fleet-admin may start one`);
  });
});

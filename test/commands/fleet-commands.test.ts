/**
 * `uniad-edge fleet` and `uniad-edge consume` as a plant engineer types them (the built CLI as a child process):
 * the fleet table from retained statuses on a real broker, and the mistakes each command names before connecting.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { degradedPayload, onlinePayload } from '../../src/sinks/payload.js';
import { repoRoot } from '../setup/paths.js';
import { Mosquitto } from '../support/mosquitto.js';
import { nodeInfo } from '../sinks/fixtures.js';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('uniad-edge fleet', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const now = Date.now();
    const stats = { queued: 0, cameras: { cam1: { line: 'line1', fps: 4, rejectsPerMin: 12, frames: 100, rejects: 20, lastAt: now } } };
    await pub.publishAsync('uniad/cli/status/box-a', onlinePayload({ ...nodeInfo('box-a'), cameras: ['cam1'], lines: { cam1: 'line1' }, dashboardUrl: 'http://box-a:8080/' }, now, stats), { qos: 1, retain: true });
    await pub.publishAsync('uniad/cli/status/box-b', degradedPayload({ ...nodeInfo('box-b'), cameras: ['cam9'], lines: { cam9: 'line2' } }, [{ code: 'QUEUE_DISK', message: 'disk full' }], now), { qos: 1, retain: true });
    await pub.endAsync();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('should print every node and camera from the retained statuses, with rates, causes and page links', async () => {
    const r = await cli(['fleet', '--mqtt', broker.url, '--prefix', 'uniad/cli']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^box-a\s+online\s+line1\s+cam1\s+4\.0\s+12\.0\s+5\.0 %\s+0\s+uniad-demo@1\.0\.0\s+http:\/\/box-a:8080\/$/);
    expect(lines[2]).toMatch(/^box-b\s+degraded\s+line2\s+cam9\s+–\s+–\s+–\s+–\s+uniad-demo@1\.0\.0\s+QUEUE_DISK\s+–$/);
    expect(r.stdout).toContain('2 node(s): 1 online, 1 degraded, 0 offline, 0 stale\nactive causes:\n  box-b: QUEUE_DISK: disk full\n');
    const json = await cli(['fleet', '--mqtt', broker.url, '--prefix', 'uniad/cli', '--json']);
    expect((JSON.parse(json.stdout) as { node: string; camera: string }[]).map((row) => `${row.node}/${row.camera}`)).toEqual(['box-a/cam1', 'box-b/cam9']);
  });

  it('should say so and exit 1 when no node has a status under the prefix', async () => {
    const r = await cli(['fleet', '--mqtt', broker.url, '--prefix', 'uniad/nobody']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("uniad-edge: no status under uniad/nobody/status/ (check --prefix against the nodes' mqtt.prefix)\n");
  });

  it('should refuse a stale-after that is no number of seconds, and consume options that cannot work, before connecting', async () => {
    expect(await cli(['fleet', '--mqtt', broker.url, '--prefix', 'p', '--stale-after', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--stale-after must be 1 to 86400 seconds, got "0"') });
    expect(await cli(['consume', '--nats', 'mqtt://b1:1883', '--prefix', 'p'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--nats takes nats://host:port URLs of the cluster\'s nodes, comma-separated, got "mqtt://b1:1883"') });
    expect(await cli(['consume', '--nats', 'nats://127.0.0.1:1', '--prefix', 'p', '--replicas', '3'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--replicas goes with --create-stream') });
  });
});

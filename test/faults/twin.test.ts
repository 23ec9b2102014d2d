/**
 * Item 5 of issue 9: the same config started twice (a manual run beside the systemd one) ping-ponged on the MQTT
 * client id and lost verdicts. Now the second real process is refused at once, naming the first one's PID, while the
 * first goes on undisturbed; a lock left by a killed process is taken over.
 */
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

describe('two instances on one state folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-twin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should refuse the second with the PID of the first, leave the first undisturbed, and take over a stale lock', async () => {
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, 'twin.yaml', {
      node: 'twin',
      stateDir,
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 }],
      model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
      mqtt: { queue: { store: 'disk' } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
    });
    const first = startServiceProcess(config, dir);
    const { url } = await first.waitForLog('embedded broker listening');
    expect(readlinkSync(join(stateDir, 'lock'))).toBe(String(first.pid));
    const sub = await subscribe(url as string, ['uniad/site/#']);
    await sub.waitFor(1, 'verdict', 30_000);

    const second = startServiceProcess(config, dir);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr()).toBe(
      `uniad-edge: another uniad-edge (PID ${first.pid}) is running with this state folder (lock "${join(stateDir, 'lock')}"); stop it first (e.g. systemctl stop uniad-edge), or give this one its own stateDir\n`,
    );

    const seen = sub.on('verdict').length;
    await sub.waitFor(seen + 5, 'verdict');
    const stop = await first.stop();
    while (!sub.json<{ state: string }>('status/twin').some((s) => s.state === 'offline')) await new Promise((r) => setTimeout(r, 20));
    const ids = sub.json<Verdict>('verdict').map((v) => v.id);
    const stopped = first.logs.find((l) => l.msg === 'stopped')!;
    console.log(`twin: second refused (exit ${exit.code}); first: ${stopped['frames']} frames, ${new Set(ids).size} unique verdict ids at the subscriber, connected ${first.logs.filter((l) => l.msg === 'mqtt: connected').length} time(s)`);
    expect(stop.code).toBe(0);
    expect(new Set(ids).size).toBe(stopped['frames']);
    expect(first.logs.filter((l) => l.msg === 'mqtt: connected')).toHaveLength(1);
    expect(existsSync(join(stateDir, 'lock'))).toBe(false); // released on a clean stop
    await sub.close();

    // a holder killed without cleaning up leaves its lock; the next start takes it over
    const killed = startServiceProcess(config, dir);
    await killed.waitForLog('service started');
    process.kill(killed.pid, 'SIGKILL');
    await killed.exited;
    expect(readlinkSync(join(stateDir, 'lock'))).toBe(String(killed.pid));
    const next = startServiceProcess(config, dir);
    await next.waitForLog('service started');
    expect(readlinkSync(join(stateDir, 'lock'))).toBe(String(next.pid));
    expect((await next.stop()).code).toBe(0);
  });
});

/**
 * The actuator's systemd unit: `systemd-analyze verify` accepts it, `systemd-analyze security` rates it 3.0 or
 * better, and it runs the actuate command with its own config, notifies systemd, and reaches GPIO chips only.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const run = promisify(execFile);
const unitPath = join(repoRoot, 'deploy/jetson/uniad-edge-actuator.service');
const unit = readFileSync(unitPath, 'utf8');
const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

describe('uniad-edge-actuator.service', () => {
  it('should pass systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', unitPath]);
    expect(stderr).toBe('');
  });

  it('should be rated 3.0 or better by systemd-analyze security', async () => {
    // --threshold counts in tenths: a worse rating exits non-zero
    await expect(run('systemd-analyze', ['security', '--offline=true', '--threshold=30', unitPath])).resolves.toMatchObject({
      stdout: expect.stringMatching(/Overall exposure level for uniad-edge-actuator\.service: [\d.]+ OK/),
    });
  });

  it('should run the actuator on its own config, only once configured, as the service user, with its watchdog', () => {
    expect(values('ExecStart')[0]).toBe('/usr/bin/node /opt/uniad-edge/current/bin/uniad-edge.js actuate --config /etc/uniad-edge/actuator.yaml');
    expect(values('ConditionPathExists')).toEqual(['/etc/uniad-edge/actuator.yaml']);
    expect(values('Type')).toEqual(['notify']);
    expect(Number(values('WatchdogSec')[0])).toBeGreaterThan(0);
    expect([values('User'), values('Group')]).toEqual([['uniad'], ['uniad']]);
    expect(values('DevicePolicy')).toEqual(['closed']);
    expect(values('DeviceAllow')).toEqual(['char-gpiochip rw']);
    // the drain of a stop (30 s) fits in the stop timeout
    expect(Number(values('TimeoutStopSec')[0])).toBeGreaterThan(30);
  });
});

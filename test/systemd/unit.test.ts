/**
 * The systemd unit: `systemd-analyze verify` accepts it, `systemd-analyze security` rates it 3.0 or better, and the
 * hardening leaves the devices the service needs reachable (cameras, GPUs, the Jetson's codec engines).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const run = promisify(execFile);
const unitPath = join(repoRoot, 'deploy/jetson/uniad-edge.service');
const unit = readFileSync(unitPath, 'utf8');
const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

/** Devices by path, and the /proc/devices major name systemd's `char-NAME` form matches them by. */
const needed: Array<[path: string, major: string | null, why: string]> = [
  ['/dev/video0', 'video4linux', 'V4L2 camera'],
  ['/dev/video7', 'video4linux', 'V4L2 camera'],
  ['/dev/nvidia0', 'nvidia-frontend', 'x86 NVIDIA GPU'],
  ['/dev/nvidiactl', null, 'x86 NVIDIA control'],
  ['/dev/nvidia-uvm', null, 'CUDA unified memory'],
  ['/dev/dri/renderD128', 'drm', 'DRM render node'],
  ['/dev/nvmap', null, 'Jetson memory manager'],
  ['/dev/nvhost-ctrl', null, 'Jetson host1x sync points'],
  ['/dev/nvhost-ctrl-gpu', null, 'Jetson GPU (Xavier)'],
  ['/dev/nvhost-gpu', null, 'Jetson GPU channel (Xavier)'],
  ['/dev/nvhost-as-gpu', null, 'Jetson GPU address space (Xavier)'],
  ['/dev/nvgpu/igpu0/ctrl', null, 'Jetson GPU (Orin)'],
  ['/dev/nvgpu/igpu0/channel', null, 'Jetson GPU channel (Orin)'],
  ['/dev/nvhost-nvdec', null, 'Jetson NVDEC (nvv4l2decoder)'],
  ['/dev/nvhost-msenc', null, 'Jetson NVENC'],
  ['/dev/nvhost-vic', null, 'Jetson VIC (nvvidconv scaling)'],
  ['/dev/nvhost-nvjpg', null, 'Jetson NVJPG'],
];

describe('uniad-edge.service', () => {
  it('should pass systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', unitPath]);
    expect(stderr).toBe('');
  });

  it('should be rated 3.0 or better by systemd-analyze security', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', unitPath]);
    const level = Number(/Overall exposure level for uniad-edge\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(3.0);
    // The same bound as a CI gate: --threshold counts in tenths.
    await expect(run('systemd-analyze', ['security', '--offline=true', '--threshold=30', unitPath])).resolves.toMatchObject({
      stdout: expect.stringMatching(/Overall exposure level for uniad-edge\.service: [\d.]+ OK/),
    });
  });

  it('should keep every camera, GPU and codec device reachable behind DevicePolicy=closed', () => {
    expect(values('DevicePolicy')).toEqual(['closed']);
    expect(values('PrivateDevices')).toEqual([]);
    const allowed = values('DeviceAllow').map((v) => v.split(/\s+/));
    for (const [path, major, why] of needed) {
      const entry = allowed.find(([dev]) => dev === path || (major !== null && dev === `char-${major}`));
      expect(entry, `${path} (${why})`).toBeDefined();
      expect(entry![1], `${path} (${why})`).toBe('rw');
    }
    // Device nodes are root:video (cameras, Jetson) or root:render (DRM): the service must be in both groups.
    expect(values('SupplementaryGroups').join(' ').split(/\s+/)).toEqual(expect.arrayContaining(['video', 'render']));
  });

  it('should tell systemd when it is ready and ping its watchdog, with state, logs and secrets where systemd puts them', () => {
    expect(values('Type')).toEqual(['notify']);
    expect(values('NotifyAccess')).toEqual(['main']);
    expect(Number(values('WatchdogSec')[0])).toBeGreaterThan(0);
    expect(values('StateDirectory')).toEqual(['uniad-edge']);
    expect(values('LogsDirectory')).toEqual(['uniad-edge']);
    expect(values('LoadCredential')).toEqual(['uniad:/etc/uniad-edge/credentials']);
    expect(values('ExecStart')[0]).toContain('/opt/uniad-edge/current/bin/uniad-edge.js run --config /etc/uniad-edge/config.yaml');
  });

  it('should restart the service only when it fails, never on a timer: a restart stops inspection and holds the actuators in reject', () => {
    expect(values('Restart')).toEqual(['always']);
    expect(values('RuntimeMaxSec')).toEqual([]);
    // the capture processes carry GStreamer's leak and are replaced at every camera restart (docs/platform.md)
    expect(unit).toMatch(/^# No RuntimeMaxSec: /m);
  });
});

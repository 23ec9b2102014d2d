import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { resolveStateDir, statePaths, systemStateDir } from '../src/state-dir.js';

const minimal = () => ({
  cameras: [{ id: 'cam1', line: 'line1', product: 'tiles', source: 'test:ball' }],
  model: { path: 'm.onnx' },
});

describe('resolveStateDir', () => {
  it('should take the configured folder first, made absolute', () => {
    expect(resolveStateDir('/srv/uniad', { STATE_DIRECTORY: '/var/lib/x' }, 0)).toBe('/srv/uniad');
    expect(resolveStateDir('rel/dir', {}, 1000)).toBe(`${process.cwd()}/rel/dir`);
  });

  it("should take systemd's STATE_DIRECTORY next, the first of several", () => {
    expect(resolveStateDir(undefined, { STATE_DIRECTORY: '/var/lib/uniad-edge' }, 1000)).toBe('/var/lib/uniad-edge');
    expect(resolveStateDir(undefined, { STATE_DIRECTORY: '/var/lib/a:/var/lib/b' }, 1000)).toBe('/var/lib/a');
  });

  it('should fall back to /var/lib/uniad-edge for root and to the XDG state folder for a user', () => {
    expect(resolveStateDir(undefined, {}, 0)).toBe(systemStateDir);
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: '/home/u/.state', HOME: '/home/u' }, 1000)).toBe('/home/u/.state/uniad-edge');
    expect(resolveStateDir(undefined, { HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/uniad-edge');
    // a relative XDG_STATE_HOME is invalid per the XDG spec and ignored
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: 'state', HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/uniad-edge');
  });

  it('should name every path under the state folder once', () => {
    expect(statePaths('/s')).toEqual({
      root: '/s',
      lock: '/s/lock',
      queue: '/s/queue',
      deadLetter: '/s/dead-letter',
      archive: '/s/archive',
      engineCache: '/s/engine-cache',
      liveThresholds: '/s/live-thresholds.json',
      recipes: '/s/recipes.json',
      shadowReport: '/s/shadow-report.json',
      opcuaPki: '/s/opcua-pki',
      models: '/s/models',
      dataset: '/s/dataset',
      rollout: '/s/rollout',
    });
  });

  it('should resolve stateDir in the config against the config folder and put the disk queue under it', () => {
    const cfg = parseConfig({ ...minimal(), stateDir: 'state' }, '/etc/uniad');
    expect(cfg.stateDir).toBe('/etc/uniad/state');
    expect(cfg.mqtt.queue.dir).toBe('/etc/uniad/state/queue');
    const explicit = parseConfig({ ...minimal(), stateDir: '/s', mqtt: { queue: { dir: '/q' } } }, '/etc/uniad');
    expect(explicit.mqtt.queue.dir).toBe('/q');
  });
});

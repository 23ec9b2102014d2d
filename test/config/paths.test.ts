/**
 * The path step of reading the config, on its own: relative paths resolve against the config file's folder; a
 * relative model path that only the installation has names the model shipped with it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { resolvePaths } from '../../src/config/paths.js';
import { validateConfig } from '../../src/config/validate.js';
import { packageRoot } from '../../src/package-root.js';

const cameras = [
  { id: 'file', line: 'l', product: 'p', source: 'videos/line1.mp4' },
  { id: 'rtsp', line: 'l', product: 'p', source: 'rtsp://cam.plant/stream' },
];

describe('config paths', () => {
  it('should resolve every relative path against the config folder and keep absolute ones', () => {
    const valid = validateConfig({
      stateDir: 'state',
      cameras,
      model: { path: 'models/m.onnx', thresholdsFile: '../thresholds.json' },
      shadow: { path: 'candidate.onnx' },
      mqtt: { url: 'mqtts://broker:8883', ca: 'tls/ca.pem', cert: '/etc/ssl/client.pem', key: 'tls/client.key', queue: { dir: 'queue-elsewhere' } },
    });
    const cfg = resolvePaths(valid, '/etc/uniad');
    expect(cfg.stateDir).toBe('/etc/uniad/state');
    expect(cfg.model.path).toBe('/etc/uniad/models/m.onnx');
    expect(cfg.model.thresholdsFile).toBe('/etc/thresholds.json');
    expect(cfg.shadow?.path).toBe('/etc/uniad/candidate.onnx');
    expect([cfg.mqtt.ca, cfg.mqtt.cert, cfg.mqtt.key]).toEqual(['/etc/uniad/tls/ca.pem', '/etc/ssl/client.pem', '/etc/uniad/tls/client.key']);
    expect(cfg.mqtt.queue.dir).toBe('/etc/uniad/queue-elsewhere');
    expect(cfg.cameras.map((c) => c.spec)).toEqual([
      { kind: 'file', path: '/etc/uniad/videos/line1.mp4' },
      { kind: 'rtsp', uri: 'rtsp://cam.plant/stream' },
    ]);
    // a step of its own: what it was given is as it was
    expect(valid.model.path).toBe('models/m.onnx');
  });

  it('should put the offline queue in the state folder unless mqtt.queue.dir is given, and leave what is not given out', () => {
    const cfg = resolvePaths(validateConfig({ stateDir: '/srv/uniad', cameras, model: { path: '/opt/m.onnx' } }), '/etc/uniad');
    expect(cfg.mqtt.queue.dir).toBe('/srv/uniad/queue');
    expect(cfg.model.path).toBe('/opt/m.onnx');
    expect(cfg.model.thresholdsFile).toBeUndefined();
    expect(cfg.shadow).toBeUndefined();
    expect([cfg.mqtt.ca, cfg.mqtt.cert, cfg.mqtt.key]).toEqual([undefined, undefined, undefined]);
  });

  it("should take a relative model path from the installation when it is not next to the config: the example, copied to an /etc of its own, names the shipped demo model", () => {
    const etc = mkdtempSync(join(tmpdir(), 'uniad-etc-'));
    try {
      copyFileSync(join(packageRoot, 'config.example.yaml'), join(etc, 'config.yaml'));
      expect(loadConfig(join(etc, 'config.yaml')).model.path).toBe(join(packageRoot, 'models/demo/uniad-demo.onnx'));
      // next to the config, the same relative path is that file: the config's folder comes first
      mkdirSync(join(etc, 'models/demo'), { recursive: true });
      writeFileSync(join(etc, 'models/demo/uniad-demo.onnx'), '');
      expect(loadConfig(join(etc, 'config.yaml')).model.path).toBe(join(etc, 'models/demo/uniad-demo.onnx'));
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });

  it('should name the path next to the config for a relative model that is in neither place, and treat a shadow model the same way', () => {
    const cfg = resolvePaths(validateConfig({ cameras, model: { path: 'models/nowhere.onnx' }, shadow: { path: 'models/demo/uniad-demo.onnx' } }), '/etc/uniad');
    expect(cfg.model.path).toBe('/etc/uniad/models/nowhere.onnx');
    expect(cfg.shadow?.path).toBe(join(packageRoot, 'models/demo/uniad-demo.onnx'));
  });
});

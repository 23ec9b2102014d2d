/** Builders for sink tests: configs and decisions as the pipeline would hand them over. */
import type { MqttConfig } from '../../src/config.js';
import type { NodeInfo } from '../../src/sinks/payload.js';
import type { Decision } from '../../src/types.js';

export function mqttConfig(prefix: string, overrides: Partial<MqttConfig> = {}): MqttConfig {
  return { rejectUnauthorized: true, prefix, protocolVersion: 4, commands: true, queue: { store: 'memory', maxMessages: 10_000 }, heatmaps: { enabled: true, minIntervalMs: 0, includeOk: false }, feed: { enabled: false, maxFps: 2, width: 160 }, statsIntervalSeconds: 10, ...overrides };
}

export function nodeInfo(node: string): NodeInfo {
  return { node, model: 'uniad-demo@1.0.0', provider: 'tensorrt (fp16, cached engine)', cameras: ['cam1', 'cam2'], version: '0.1.0', startedAt: 1_700_000_000_000 };
}

/** Decision number `seq` on cam1/line1; a reject carries a 16×16 anomaly map over a 32×24 frame. */
export function decision(seq: number, reject = false): Decision {
  const frame = { camera: 'cam1', line: 'line1', product: 'bottle', seq, capturedAt: 1000 + seq, width: 32, height: 24, pixels: new Uint8Array(32 * 24 * 3).fill(128) };
  const anomalyMap = new Float32Array(16 * 16).map((_, i) => (i % 16) / 10);
  return {
    frame,
    inference: reject ? { score: 1.5, anomalyMap, mapWidth: 16, mapHeight: 16 } : undefined,
    verdict: {
      id: `cam1:s1:${seq}`,
      camera: 'cam1',
      line: 'line1',
      product: 'bottle',
      seq,
      capturedAt: 1000 + seq,
      decidedAt: 1010 + seq,
      score: reject ? 1.5 : 0.2,
      threshold: 0.8,
      normalizedScore: reject ? 1.5 / 0.8 : 0.2 / 0.8,
      reject,
      reason: reject ? 'anomaly' : 'ok',
      model: 'uniad-demo@1.0.0',
    },
  };
}

/** Fails if any id repeats; returns the ids in arrival order. */
export function uniqueIds(payloads: { id: string }[]): string[] {
  const ids = payloads.map((p) => p.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length > 0) throw new Error(`duplicate verdict ids: ${dupes.slice(0, 5).join(', ')}${dupes.length > 5 ? ` (+${dupes.length - 5})` : ''}`);
  return ids;
}

/**
 * Item 2 of issue 9: topics that cannot work. A prefix with a wildcard, an empty level, a leading "/" or a NUL, and
 * site/node/line/camera ids that are not one topic level, used to pass `check`; the broker then dropped every publish.
 * Now the real `uniad-edge check` refuses each, naming the field, what is wrong and the fix.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { writeConfig } from './service-process.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-topics-'));
const base = { cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball' }], model: { path: tinyModels.ok, providers: ['cpu'] } };

async function check(name: string, config: unknown): Promise<{ code: number; stderr: string }> {
  const path = writeConfig(dir, name, config);
  try {
    await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('topic parts, uniad-edge check', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should refuse every prefix MQTT cannot publish under, naming the field, the rule and the fix', async () => {
    const cases: [string, string][] = [
      ['uniad/#', 'mqtt.prefix: "uniad/#" contains "#", a wildcard MQTT forbids in the topics a client publishes to'],
      ['uniad/+/x', 'mqtt.prefix: "uniad/+/x" contains "+", a wildcard'],
      ['uniad//plant', 'mqtt.prefix: "uniad//plant" has an empty topic level ("//")'],
      ['/uniad', 'mqtt.prefix: "/uniad" starts with "/", an empty first topic level'],
      ['uni\u0000ad', 'mqtt.prefix: "uni\\u0000ad" contains a NUL character'],
      ['', 'mqtt.prefix: "" is empty'],
    ];
    for (const [i, [prefix, message]] of cases.entries()) {
      const r = await check(`prefix-${i}.yaml`, { ...base, mqtt: { prefix } });
      expect(r.code, prefix).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('(write topic levels joined by single "/", e.g. uniad/plant1)');
    }
  });

  it('should refuse site, node, line and camera ids that are not one topic level, naming each', async () => {
    const r = await check('levels.yaml', { ...base, site: 'plant/1', node: 'edge+1', cameras: [{ ...base.cameras[0], id: 'cam#1', line: '' }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('site: "plant/1" contains "/", which would split it into several topic levels (it is an MQTT topic level: use letters, digits, "_" or "-")');
    expect(r.stderr).toContain('node: "edge+1" contains "+", a wildcard');
    expect(r.stderr).toContain('cameras[0].id: "cam#1" contains "#"');
    expect(r.stderr).toContain('cameras[0].line: "" is empty');
    expect(r.stderr).not.toMatch(/Invalid/);
  });

  it('should refuse a topic longer than MQTT allows and accept a multi-level prefix', () => {
    expect(() => parseConfig({ ...base, mqtt: { prefix: `uniad/${'p'.repeat(65_520)}` } })).toThrow(
      /mqtt\.prefix: the topic "uniad\/p+…" would be 65551 bytes; MQTT allows 65535 \(shorten mqtt.prefix, site, node, line or camera ids\)/,
    );
    expect(parseConfig({ ...base, mqtt: { prefix: 'acme/plant-1/hall_2' } }).mqtt.prefix).toBe('acme/plant-1/hall_2');
  });
});

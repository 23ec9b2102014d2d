/**
 * Item 9 of issue 9: `watchdogSeconds: 0.001` was accepted and the camera restarted forever. Every numeric field of
 * the config has a range, and the error shows the value, the range and why.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema, parseConfig } from '../src/config.js';
import { repoRoot } from './setup/paths.js';
import { tinyModels } from './setup/tiny-model.js';

const minimal = () => ({ cameras: [{ id: 'cam1', line: 'l', product: 'p', source: 'test:ball' }] as Record<string, unknown>[], model: { path: 'm.onnx' } as Record<string, unknown> });

/** Every number in the schema with its path, and whether it is finite and bounded on both sides. */
function numbers(schema: z.ZodTypeAny, path: string, out: { path: string; bounded: boolean }[]): void {
  if (schema instanceof z.ZodNumber) {
    const kinds = schema._def.checks.map((c) => c.kind);
    out.push({ path, bounded: kinds.includes('min') && kinds.includes('max') && kinds.includes('finite') });
  } else if (schema instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(schema.shape as Record<string, z.ZodTypeAny>)) numbers(value, path ? `${path}.${key}` : key, out);
  } else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    numbers(schema.unwrap() as z.ZodTypeAny, path, out);
  } else if (schema instanceof z.ZodDefault) {
    numbers(schema._def.innerType as z.ZodTypeAny, path, out);
  } else if (schema instanceof z.ZodEffects) {
    numbers(schema.innerType() as z.ZodTypeAny, path, out);
  } else if (schema instanceof z.ZodArray) {
    numbers(schema.element as z.ZodTypeAny, `${path}[]`, out);
  } else if (schema instanceof z.ZodUnion || schema instanceof z.ZodDiscriminatedUnion) {
    for (const option of schema.options as z.ZodTypeAny[]) numbers(option, path, out);
  }
}

describe('numeric config bounds', () => {
  it('should give every numeric field a finite lower and upper bound', () => {
    const found: { path: string; bounded: boolean }[] = [];
    numbers(configSchema, '', found);
    expect(found.length).toBeGreaterThanOrEqual(18);
    expect(found.filter((f) => !f.bounded).map((f) => f.path)).toEqual([]);
  });

  it('should show the value, the range and why for a value out of range', () => {
    const doc = minimal();
    doc.cameras[0] = { ...doc.cameras[0], watchdogSeconds: 0.001, fps: 1000, crop: { x: -1, y: 0, width: 10.5, height: 10 } };
    doc.model = { ...doc.model, deadlineMs: 0, batchMaxSize: 0, threads: Infinity };
    const message = (() => {
      try {
        parseConfig({ ...doc, mqtt: { queue: { maxMessages: 1e9 } }, embeddedBroker: { port: 70000 } });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    for (const part of [
      'cameras[0].watchdogSeconds: 0.001 is out of range: 1 to 3600 s — a camera with no frame for this long is restarted; shorter restarts a camera that is merely slow to start, forever',
      'cameras[0].fps: 1000 is out of range: 0.1 to 240 frames/s',
      'cameras[0].crop.x: -1 is out of range: whole numbers 0 to 16384 px',
      'cameras[0].crop.width: 10.5 is out of range: whole numbers 1 to 16384 px',
      'model.deadlineMs: 0 is out of range: 10 to 600000 ms',
      'model.batchMaxSize: 0 is out of range: whole numbers 1 to 256 frames',
      'model.threads: Infinity is out of range',
      'mqtt.queue.maxMessages: 1000000000 is out of range: whole numbers 1 to 1000000 messages — the queue is also held in memory',
      'embeddedBroker.port: 70000 is out of range: whole numbers 0 to 65535 — a TCP port; 0 picks a free one',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('should refuse a watchdog shorter than two frames and a batch wait that outlasts the deadline', () => {
    const doc = minimal();
    doc.cameras[0] = { ...doc.cameras[0], fps: 0.2, watchdogSeconds: 5 };
    expect(() => parseConfig(doc)).toThrow('cameras[0].watchdogSeconds: 5 s is less than two frames at fps 0.2 (10 s): the camera would be restarted between frames (raise watchdogSeconds or fps)');
    expect(() => parseConfig({ ...minimal(), model: { path: 'm', batchMaxWaitMs: 500, deadlineMs: 500 } })).toThrow(
      'model.batchMaxWaitMs: 500 ms is not below model.deadlineMs (500 ms): frames would miss their deadline waiting for a batch (lower batchMaxWaitMs)',
    );
  });

  it('should make the real check command refuse watchdogSeconds: 0.001, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-bounds-'));
    try {
      const path = join(dir, 'c.yaml');
      writeFileSync(path, `cameras:\n  - { id: cam1, line: l, product: bolt, source: "test:ball", watchdogSeconds: 0.001 }\nmodel: { path: "${tinyModels.ok}", providers: [cpu] }\n`);
      const err = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(err.code).toBe(1);
      expect(err.stderr).toBe(
        'uniad-edge: config: cameras[0].watchdogSeconds: 0.001 is out of range: 1 to 3600 s — a camera with no frame for this long is restarted; shorter restarts a camera that is merely slow to start, forever\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

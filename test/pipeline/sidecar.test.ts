import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSidecar, parseSidecar, sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { tinyModels } from '../setup/tiny-model.js';

const good = () => JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8')) as Record<string, unknown>;
const refusal = (doc: unknown) => {
  try {
    parseSidecar(doc, 'x.json');
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('accepted');
};

describe('sidecar', () => {
  it('lives next to the model with the same name', () => {
    expect(sidecarPathFor('/m/uniad-b4.onnx')).toBe('/m/uniad-b4.json');
  });

  it('loads the sidecar the tiny model generator writes', () => {
    const s = loadSidecar(tinyModels.ok);
    expect(s).toMatchObject({ name: 'tiny', version: '1.0.0', input: { height: 64, width: 64 }, classes: ['bolt', 'nut'], defaultThreshold: 0.6 });
    expect(s.thresholds).toEqual({ bolt: 0.5, nut: 0.7 });
  });

  it('names a missing sidecar and where it was looked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-'));
    expect(() => loadSidecar(join(dir, 'lonely.onnx'))).toThrow(/sidecar ".*lonely\.json": not found/);
  });

  it('refuses text that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidecar-'));
    writeFileSync(join(dir, 'm.json'), '{ name: ');
    expect(() => loadSidecar(join(dir, 'm.onnx'))).toThrow(/not valid JSON/);
  });

  it('names the field that is wrong, with what it got', () => {
    const err = refusal({ ...good(), input: { height: '64', width: 64 } });
    expect(err.code).toBe('SIDECAR');
    expect(err.message).toContain('input.height: expected number, got string');
  });

  it('names a missing field', () => {
    const { version: _omit, ...rest } = good();
    expect(refusal(rest).message).toContain('version: required');
  });

  it('refuses a threshold for a class the model was not trained on', () => {
    expect(refusal({ ...good(), thresholds: { bolt: 0.5, washer: 0.2 } }).message).toMatch(/thresholds: "washer" not in classes \[bolt, nut\]/);
  });

  it('refuses an empty class list and a non-finite threshold', () => {
    expect(refusal({ ...good(), classes: [] }).message).toContain('classes:');
    expect(refusal({ ...good(), defaultThreshold: null }).message).toContain('defaultThreshold: expected number, got null');
  });
});

import { describe, expect, it } from 'vitest';
import { liveKey, normalizedScore, resolveThreshold, type ModelRef, type ThresholdSources } from '../../src/pipeline/threshold-sources.js';
import type { ModelSidecar } from '../../src/types.js';

const sidecar: ModelSidecar = { name: 'm', version: '1', input: { height: 64, width: 64 }, classes: ['bolt', 'nut'], thresholds: { bolt: 0.5, nut: 0.7 }, defaultThreshold: 0.6, backbone: 'x' };
const m1: ModelRef = { id: 'm@1', sidecar };
const m2: ModelRef = { id: 'm@2', sidecar: { ...sidecar, version: '2', thresholds: { bolt: 5 }, defaultThreshold: 6 } };

const sources = (over: Partial<ThresholdSources> = {}): ThresholdSources => ({
  live: new Map(),
  cameras: new Map([
    ['cam1', { product: 'bolt', threshold: 0.9 }],
    ['cam2', { product: 'bolt' }],
  ]),
  files: [{ model: 'm@1', targetFalseReject: 0.01, products: { bolt: 0.55, nut: 0.75 }, cameras: { cam2: { bolt: 0.52 } } }],
  ...over,
});

describe('resolveThreshold', () => {
  it('should take a live set over the config, the file and the model', () => {
    const live = new Map([[liveKey('cam1', 'bolt', 'm@1'), 42]]);
    expect(resolveThreshold('cam1', 'bolt', m1, sources({ live }))).toEqual({ threshold: 42, origin: 'live' });
  });

  it('should take the camera\'s configured threshold over the file', () => {
    expect(resolveThreshold('cam1', 'bolt', m1, sources())).toEqual({ threshold: 0.9, origin: 'config' });
  });

  it('should take a configured threshold only for the model loaded with that config', () => {
    expect(resolveThreshold('cam1', 'bolt', m1, sources({ configModel: 'm@1' }))).toEqual({ threshold: 0.9, origin: 'config' });
    expect(resolveThreshold('cam1', 'bolt', m2, sources({ configModel: 'm@1' }))).toEqual({ threshold: 5, origin: 'model' });
  });

  it('should take the file\'s camera entry over its product entry, and the product entry for other cameras', () => {
    expect(resolveThreshold('cam2', 'bolt', m1, sources())).toEqual({ threshold: 0.52, origin: 'file' });
    expect(resolveThreshold('cam3', 'nut', m1, sources())).toEqual({ threshold: 0.75, origin: 'file' });
  });

  it('should fall back to the model sidecar: the product\'s threshold, else the default', () => {
    const none = sources({ files: [], cameras: new Map() });
    expect(resolveThreshold('cam1', 'bolt', m1, none)).toEqual({ threshold: 0.5, origin: 'model' });
    expect(resolveThreshold('cam1', 'washer', m1, none)).toEqual({ threshold: 0.6, origin: 'model' });
  });

  it('should not carry a live set or a configured threshold over to another product (recipe change-over)', () => {
    const live = new Map([[liveKey('cam1', 'bolt', 'm@1'), 42]]);
    expect(resolveThreshold('cam1', 'nut', m1, sources({ live }))).toEqual({ threshold: 0.75, origin: 'file' });
  });

  it('should give another model its own thresholds: not the live set, not the file of the old model', () => {
    const live = new Map([[liveKey('cam2', 'bolt', 'm@1'), 42]]);
    expect(resolveThreshold('cam2', 'bolt', m2, sources({ live }))).toEqual({ threshold: 5, origin: 'model' });
    expect(resolveThreshold('cam2', 'nut', m2, sources({ live }))).toEqual({ threshold: 6, origin: 'model' });
  });

  it('should not mistake inherited object keys for products or cameras', () => {
    expect(resolveThreshold('constructor', 'toString', m1, sources())).toEqual({ threshold: 0.6, origin: 'model' });
  });
});

describe('normalizedScore', () => {
  it('should be 1 at the threshold and scale with the score', () => {
    expect(normalizedScore(0.5, 0.5)).toBe(1);
    expect(normalizedScore(0.25, 0.5)).toBe(0.5);
  });

  it('should be null for a missing or non-finite score, or a threshold that is not positive', () => {
    expect(normalizedScore(null, 0.5)).toBeNull();
    expect(normalizedScore(Number.NaN, 0.5)).toBeNull();
    expect(normalizedScore(Number.POSITIVE_INFINITY, 0.5)).toBeNull();
    expect(normalizedScore(1, 0)).toBeNull();
  });
});

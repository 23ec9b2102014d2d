import { describe, expect, it } from 'vitest';
import { hasClassThreshold, thresholdFor } from '../../src/pipeline/threshold.js';
import type { ModelSidecar } from '../../src/types.js';

const sidecar: ModelSidecar = {
  name: 'm',
  version: '1',
  input: { height: 64, width: 64 },
  classes: ['bolt', 'nut', 'zero'],
  thresholds: { bolt: 0.5, nut: 0.7, zero: 0 },
  defaultThreshold: 0.6,
  backbone: 'x',
};

describe('thresholdFor', () => {
  it('takes the camera override before anything else', () => {
    expect(thresholdFor({ threshold: 0.9 }, 'bolt', sidecar)).toBe(0.9);
  });

  it('takes the calibrated threshold of the product class when the camera has none', () => {
    expect(thresholdFor({}, 'bolt', sidecar)).toBe(0.5);
    expect(thresholdFor({ threshold: undefined }, 'nut', sidecar)).toBe(0.7);
  });

  it('keeps a per-class threshold of 0 instead of falling through to the default', () => {
    expect(thresholdFor({}, 'zero', sidecar)).toBe(0);
  });

  it('falls back to the default for a class the model has no threshold for', () => {
    expect(thresholdFor({}, 'washer', sidecar)).toBe(0.6);
  });

  it('does not mistake inherited object keys for classes', () => {
    expect(thresholdFor({}, 'constructor', sidecar)).toBe(0.6);
    expect(thresholdFor({}, 'toString', sidecar)).toBe(0.6);
  });
});

describe('hasClassThreshold', () => {
  it('says yes for a calibrated class, a threshold of 0 included', () => {
    expect(hasClassThreshold(sidecar, 'bolt')).toBe(true);
    expect(hasClassThreshold(sidecar, 'zero')).toBe(true);
  });

  it('says no for an unknown class and for inherited object keys', () => {
    expect(hasClassThreshold(sidecar, 'washer')).toBe(false);
    expect(hasClassThreshold(sidecar, 'constructor')).toBe(false);
  });
});

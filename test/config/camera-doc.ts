/** A config of one camera for the config tests, and the refusal a bad one gets. */
import { expect } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { UniadError } from '../../src/errors.js';

/** A config document with one camera `c1`…: `base` (its source) and `cam` over the required fields. */
export const cameraDoc = (base: Record<string, unknown>, cam: Record<string, unknown>) => ({ cameras: [{ id: 'c1', line: 'l', product: 'p', ...base, ...cam }], model: { path: 'm.onnx' } });

/** The CONFIG_INVALID message `doc` is refused with; fails the test when it is taken. */
export function refusal(doc: unknown): string {
  try {
    parseConfig(doc, '/etc/uniad', {});
  } catch (err) {
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    return (err as UniadError).message;
  }
  throw new Error('expected the config to be refused');
}

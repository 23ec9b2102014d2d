import { describe, expect, it } from 'vitest';
import { parseRollout, parseRolloutStatus, statusNode, type Rollout, type RolloutStatus } from '../../src/rollout/message.js';
import { nextStep } from '../../src/rollout/policy.js';

const rollout: Rollout = {
  id: 'r1',
  version: '2.0.0',
  model: { url: 'http://models.plant/2.0.0.onnx', sha256: 'a'.repeat(64) },
  sidecar: { url: 'http://models.plant/2.0.0.json', sha256: 'b'.repeat(64) },
  canary: 'edge-1',
  by: 'ann',
};
const canary = (state: RolloutStatus['state'], id = 'r1'): RolloutStatus => ({ rollout: id, node: 'edge-1', version: '2.0.0', state, at: '2026-12-07T00:00:00.000Z' });

describe('the rollout policy', () => {
  it('should download first, on every node', () => {
    expect(nextStep(rollout, 'edge-1', undefined, undefined)).toBe('download');
    expect(nextStep(rollout, 'edge-2', undefined, canary('rolled back'))).toBe('download');
  });

  it('should let the canary promote as soon as it has the model', () => {
    expect(nextStep(rollout, 'edge-1', 'downloaded', undefined)).toBe('promote');
  });

  it("should make the others wait for the canary's probation to pass, on this rollout", () => {
    for (const state of ['downloaded', 'promoted'] as const) expect(nextStep(rollout, 'edge-2', 'downloaded', canary(state))).toBe('wait');
    expect(nextStep(rollout, 'edge-2', 'downloaded', undefined)).toBe('wait');
    expect(nextStep(rollout, 'edge-2', 'downloaded', canary('probation passed', 'r0')), 'a passed probation of an earlier rollout').toBe('wait');
    expect(nextStep(rollout, 'edge-2', 'downloaded', canary('probation passed'))).toBe('promote');
  });

  it('should stop the others when the canary rolled back, refused or stopped', () => {
    for (const state of ['rolled back', 'refused', 'stopped'] as const) expect(nextStep(rollout, 'edge-2', 'downloaded', canary(state)), state).toBe('stop');
  });

  it('should do nothing more once a node promoted, stopped or refused', () => {
    for (const mine of ['promoted', 'probation passed', 'rolled back', 'refused', 'stopped'] as const) expect(nextStep(rollout, 'edge-2', mine, canary('probation passed')), mine).toBe('none');
  });
});

describe('the rollout messages', () => {
  it('should parse a rollout and default who sent it', () => {
    const { by, ...rest } = rollout;
    expect(parseRollout(JSON.stringify(rest))).toEqual({ ...rest, by: 'unknown' });
  });

  it('should refuse a message that is not a rollout with ROLLOUT_MESSAGE naming the field', () => {
    expect(() => parseRollout('{')).toThrow(expect.objectContaining({ code: 'ROLLOUT_MESSAGE', message: expect.stringContaining('not JSON') }));
    expect(() => parseRollout(JSON.stringify({ ...rollout, model: { url: 'ftp://x/m.onnx', sha256: 'A'.repeat(64) } }))).toThrow(
      expect.objectContaining({ code: 'ROLLOUT_MESSAGE', message: expect.stringMatching(/model\.url.*http:\/\/ or https:\/\/ URL.*model\.sha256.*64 lower-case hex digits/s) }),
    );
    expect(() => parseRollout(JSON.stringify({ ...rollout, canary: undefined }))).toThrow(expect.objectContaining({ code: 'ROLLOUT_MESSAGE', message: expect.stringContaining('canary') }));
  });

  it('should read a node status, and nothing else, as one', () => {
    expect(parseRolloutStatus(JSON.stringify(canary('promoted')))).toEqual(canary('promoted'));
    expect(parseRolloutStatus('')).toBeUndefined();
    expect(parseRolloutStatus('{"state":"online"}')).toBeUndefined();
  });

  it('should name the node of a status topic', () => {
    expect(statusNode('uniad/p/fleet/rollout/status/edge-2', 'uniad/p')).toBe('edge-2');
    for (const t of ['uniad/p/fleet/rollout', 'uniad/p/fleet/rollout/status/', 'uniad/p/fleet/rollout/status/a/b', 'uniad/q/fleet/rollout/status/a']) expect(statusNode(t, 'uniad/p'), t).toBeUndefined();
  });
});

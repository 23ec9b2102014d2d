import { describe, expect, it } from 'vitest';
import { brokerAccounts } from '../../src/broker/accounts.js';
import { isCommandTopic, mayPublish } from '../../src/broker/acl.js';

const prefix = 'uniad/plant1';

describe('topic permissions (acl)', () => {
  it('should let the service publish everything under its prefix and nothing outside it', () => {
    for (const t of ['uniad/plant1/line1/cam1/verdict', 'uniad/plant1/line1/cam1/reject', 'uniad/plant1/status/edge', 'uniad/plant1/line1/cam1/threshold']) {
      expect(mayPublish('service', t, prefix)).toBe(true);
    }
    expect(mayPublish('service', 'uniad/plant2/line1/cam1/verdict', prefix)).toBe(false);
    expect(mayPublish('service', 'uniad/plant1', prefix)).toBe(false);
    expect(mayPublish('service', 'uniad/plant1x/line1/cam1/verdict', prefix)).toBe(false);
    expect(mayPublish('service', 'other/topic', prefix)).toBe(false);
  });

  it('should let an operator write the two command topics and nothing else', () => {
    expect(mayPublish('operator', 'uniad/plant1/line1/cam1/threshold/set', prefix)).toBe(true);
    expect(mayPublish('operator', 'uniad/plant1/line1/recipe', prefix)).toBe(true);
    for (const t of ['uniad/plant1/line1/cam1/verdict', 'uniad/plant1/line1/cam1/reject', 'uniad/plant1/status/edge', 'uniad/plant1/line1/cam1/threshold', 'uniad/plant1/status/recipe', 'uniad/plant1//cam1/threshold/set', 'uniad/plant1/line1/cam1/x/threshold/set', 'uniad/plant2/line1/recipe']) {
      expect(mayPublish('operator', t, prefix), t).toBe(false);
    }
  });

  it("should let an actuator publish its status and its MQTT output's eject and hold topics, and nothing else", () => {
    for (const t of ['uniad/plant1/actuator/line1-ejector', 'uniad/plant1/line1/cam1/eject', 'uniad/plant1/line1/cam1/eject/hold']) expect(mayPublish('actuator', t, prefix), t).toBe(true);
    for (const t of ['uniad/plant1/line1/cam1/verdict', 'uniad/plant1/line1/cam1/part', 'uniad/plant1/status/edge', 'uniad/plant1/line1/cam1/threshold/set', 'uniad/plant1/actuator/a/b', 'uniad/plant1//cam1/eject', 'uniad/plant2/line1/cam1/eject']) {
      expect(mayPublish('actuator', t, prefix), t).toBe(false);
    }
  });

  it('should keep the answers to commands and the recipe in force to the service', () => {
    for (const t of ['uniad/plant1/line1/cam1/threshold/set/result', 'uniad/plant1/line1/recipe/result', 'uniad/plant1/line1/recipe/current']) {
      expect(mayPublish('operator', t, prefix), t).toBe(false);
      expect(mayPublish('service', t, prefix), t).toBe(true);
    }
  });

  it('should let only a fleet-admin start a rollout, and a fleet-admin nothing else', () => {
    expect(mayPublish('fleet-admin', 'uniad/plant1/fleet/rollout', prefix)).toBe(true);
    for (const role of ['operator', 'plc', 'actuator', 'viewer', undefined] as const) expect(mayPublish(role, 'uniad/plant1/fleet/rollout', prefix), String(role)).toBe(false);
    for (const t of ['uniad/plant1/fleet/rollout/status/edge', 'uniad/plant1/model/promote', 'uniad/plant1/line1/recipe', 'uniad/plant1/status/edge', 'uniad/plant2/fleet/rollout']) {
      expect(mayPublish('fleet-admin', t, prefix), t).toBe(false);
    }
  });

  it('should let viewers and anonymous clients publish nothing', () => {
    for (const role of ['viewer', undefined] as const) {
      expect(mayPublish(role, 'uniad/plant1/line1/cam1/reject', prefix)).toBe(false);
      expect(mayPublish(role, 'uniad/plant1/line1/recipe', prefix)).toBe(false);
      expect(mayPublish(role, 'uniad/plant1/status/edge', prefix)).toBe(false);
    }
  });

  it('should refuse wildcards and NUL in a published topic for everyone', () => {
    expect(mayPublish('service', 'uniad/plant1/+/cam1/verdict', prefix)).toBe(false);
    expect(mayPublish('service', 'uniad/plant1/#', prefix)).toBe(false);
    expect(mayPublish('operator', 'uniad/plant1/line\u0000/recipe', prefix)).toBe(false);
    expect(isCommandTopic('uniad/plant1/+/recipe', prefix)).toBe(false);
  });

  it('should work with a one-level prefix', () => {
    expect(mayPublish('operator', 'plant/l/c/threshold/set', 'plant')).toBe(true);
    expect(mayPublish('service', 'plant/status/n', 'plant')).toBe(true);
  });
});

describe('embedded broker accounts', () => {
  let n = 0;
  const secret = () => `generated-${++n}`;

  it('should make up a service and a viewer account and let anonymous clients read when none is configured', () => {
    const a = brokerAccounts({}, secret);
    expect(a.service.username).toBe('uniad-edge-service');
    expect(a.viewer.username).toBe('uniad-edge-dashboard');
    expect(a.service.password).not.toBe(a.viewer.password);
    expect(a.accounts.map((x) => x.role)).toEqual(['service', 'viewer']);
    expect(a.allowAnonymous).toBe(true);
  });

  it('should use configured accounts, the shorthand as the service, and keep anonymous out unless allowed', () => {
    const users = [
      { username: 'ops', password: 'o#p@s', role: 'operator' as const },
      { username: 'wall', password: 'w', role: 'viewer' as const },
    ];
    const a = brokerAccounts({ username: 'svc', password: 's', users }, secret);
    expect(a.service).toEqual({ username: 'svc', password: 's' });
    expect(a.viewer).toEqual({ username: 'wall', password: 'w' });
    expect(a.accounts).toHaveLength(3);
    expect(a.allowAnonymous).toBe(false);
    expect(brokerAccounts({ users, allowAnonymous: true }, secret).allowAnonymous).toBe(true);
  });

  it('should not give a made-up account the name of a configured user', () => {
    const a = brokerAccounts({ users: [{ username: 'uniad-edge-service', password: 'p', role: 'operator' }] }, secret);
    expect(a.service.username).toBe('uniad-edge-service-2');
  });
});

describe('who may send a part trigger (acl)', () => {
  it('should let a plc publish the part trigger topics and nothing else', () => {
    expect(mayPublish('plc', 'uniad/plant1/line1/cam1/trigger', prefix)).toBe(true);
    for (const t of ['uniad/plant1/line1/cam1/part', 'uniad/plant1/line1/cam1/verdict', 'uniad/plant1/line1/recipe', 'uniad/plant1/line1/cam1/threshold/set', 'uniad/plant1/status/cam1/trigger', 'uniad/plant1/line1/cam1/trigger/x', 'uniad/plant1//cam1/trigger', 'uniad/plant1/line1/+/trigger', 'uniad/plant2/line1/cam1/trigger']) {
      expect(mayPublish('plc', t, prefix), t).toBe(false);
    }
  });

  it('should let an operator send a part through a station by hand, and no other role', () => {
    expect(mayPublish('operator', 'uniad/plant1/line1/cam1/trigger', prefix)).toBe(true);
    for (const role of ['actuator', 'viewer', undefined] as const) expect(mayPublish(role, 'uniad/plant1/line1/cam1/trigger', prefix)).toBe(false);
  });
});

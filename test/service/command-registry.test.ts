/**
 * The one path every command takes (issue 20, item 2): bounded and parsed first, turned off or retained refused, the
 * handler's answer or its failure published on `<topic>/result` with the request id, and on MQTT 5 with the
 * correlation data, on a response topic only outside the prefix.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { CommandKind } from '../../src/operator-commands.js';
import { CommandRegistry, type CommandHandlers, type CommandResult } from '../../src/service/command-registry.js';

const prefix = 'uniad/reg';

function registry(over: { enabled?: (kind: CommandKind) => boolean; stopping?: () => boolean; apply?: () => never } = {}) {
  const replies: { topic: string; result: CommandResult; correlationData?: Buffer }[] = [];
  const cleared: string[] = [];
  let threshold = 0.5;
  const handlers: CommandHandlers = {
    threshold: {
      apply: (_target, command) => {
        over.apply?.();
        threshold = command.threshold;
        return { ok: true, inForce: { threshold } };
      },
      inForce: () => ({ threshold }),
    },
    recipe: { apply: (_t, command) => ({ ok: true, inForce: { product: command.product } }), inForce: () => ({ product: null }) },
    promote: { apply: async () => ({ ok: true, inForce: { version: '2.0.0' } }), inForce: () => ({ version: null }) },
    feedback: { apply: (_t, command) => ({ ok: true, inForce: { verdictId: command.verdictId, kind: command.kind } }), inForce: () => undefined },
  };
  const reg = new CommandRegistry({
    prefix,
    handlers,
    enabled: over.enabled ?? (() => true),
    stopping: over.stopping,
    verifiedSender: false,
    reply: (topic, payload, correlationData) => void replies.push({ topic, result: JSON.parse(payload), ...(correlationData ? { correlationData } : {}) }),
    clearRetained: (topic) => void cleared.push(topic),
    logger: silentLogger,
    now: () => 42,
  });
  const send = (topic: string, payload: string, extra: { retained?: boolean; responseTopic?: string; correlationData?: Buffer } = {}) => reg.receive({ topic, payload: Buffer.from(payload), retained: extra.retained ?? false, ...extra });
  return { send, replies, cleared };
}

const set = `${prefix}/l/a/threshold/set`;

describe('the command registry', () => {
  it('should answer on the result topic with the request id and the value in force', () => {
    const { send, replies } = registry();
    send(set, '{"threshold": 0.8, "requestId": 7, "by": "ann"}');
    expect(replies).toEqual([{ topic: `${set}/result`, result: { command: 'threshold', topic: set, requestId: 7, result: 'accepted', inForce: { threshold: 0.8 }, by: 'ann', at: 42 } }]);
  });

  it('should refuse before the handler what is not a bounded command, what is turned off, retained or stopping', () => {
    const { send, replies, cleared } = registry({ enabled: (kind) => kind !== 'recipe' });
    send(set, '{"threshold": 0.8, "requestId": {"a": 1}}');
    send(set, `{"threshold": ${'['.repeat(20)}${']'.repeat(20)}}`);
    send(`${prefix}/l/recipe`, '{"product": "nut", "requestId": "r"}');
    send(set, '{"threshold": 0.9, "requestId": "kept"}', { retained: true });
    expect(replies.map((r) => [r.topic, r.result.result, r.result.reason, r.result.inForce])).toEqual([
      [`${set}/result`, 'refused', '"requestId" must be a string of at most 128 characters or a number, got {"a":1}', { threshold: 0.5 }],
      [`${set}/result`, 'refused', 'nested more than 8 levels deep; send {"threshold": 42.0}', { threshold: 0.5 }],
      [`${prefix}/l/recipe/result`, 'refused', 'this node does not take recipe commands (mqtt.commands in its config)', { product: null }],
      [`${set}/result`, 'refused', expect.stringMatching(/^it was published retained/), { threshold: 0.5 }],
    ]);
    expect(cleared).toEqual([set]);
    const stopping = registry({ stopping: () => true });
    stopping.send(set, '{"threshold": 0.8}');
    expect(stopping.replies[0]!.result).toMatchObject({ result: 'refused', reason: 'the service is stopping' });
  });

  it('should take a retained recipe: the contract keeps recipes retained', () => {
    const { send, replies, cleared } = registry();
    send(`${prefix}/l/recipe`, '{"product": "nut"}', { retained: true });
    expect(replies[0]!.result).toMatchObject({ result: 'accepted', inForce: { product: 'nut' } });
    expect(cleared).toEqual([]);
  });

  it('should answer a handler that throws with its message, and ignore an empty message (a retained one cleared)', () => {
    const { send, replies } = registry({
      apply: () => {
        throw new Error('disk full');
      },
    });
    send(set, '');
    send(set, '{"threshold": 0.8}');
    expect(replies.map((r) => r.result)).toEqual([{ command: 'threshold', topic: set, result: 'refused', reason: 'disk full', inForce: { threshold: 0.5 }, at: 42 }]);
  });

  it('should echo MQTT 5 correlation data, and answer on a response topic only outside the prefix', () => {
    const { send, replies } = registry();
    const correlationData = Buffer.from('c-1');
    send(set, '{"threshold": 0.8}', { responseTopic: 'hmi/1/replies', correlationData });
    send(set, '{"threshold": 0.9}', { responseTopic: `${prefix}/l/a/reject`, correlationData });
    send(set, '{"threshold": 1.0}', { responseTopic: 'hmi/+/replies' });
    expect(replies.map((r) => [r.topic, r.correlationData?.toString()])).toEqual([
      [`${set}/result`, 'c-1'],
      ['hmi/1/replies', 'c-1'],
      [`${set}/result`, 'c-1'],
      [`${set}/result`, undefined],
    ]);
  });

  it('should ignore a topic that is no command', () => {
    const { send, replies } = registry();
    send(`${prefix}/l/a/threshold/set/result`, '{"result": "accepted"}');
    send(`${prefix}/status/edge`, '{}');
    expect(replies).toEqual([]);
  });
});

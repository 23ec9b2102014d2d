import { describe, expect, it } from 'vitest';
import { eventFilter, heatmapTopic, rejectTopic, statusTopic, topicPartProblem, verdictTopic } from '../../src/sinks/topics.js';

describe('topics', () => {
  it('should build the contract topics under a multi-level prefix', () => {
    expect(verdictTopic('uniad/plant-1', 'line_a', 'cam-3')).toBe('uniad/plant-1/line_a/cam-3/verdict');
    expect(rejectTopic('uniad/plant-1', 'line_a', 'cam-3')).toBe('uniad/plant-1/line_a/cam-3/reject');
    expect(heatmapTopic('uniad/plant-1', 'line_a', 'cam-3')).toBe('uniad/plant-1/line_a/cam-3/heatmap');
    expect(statusTopic('uniad/plant-1', 'edge-7')).toBe('uniad/plant-1/status/edge-7');
  });

  it('should build a subscription filter that matches every camera of every line', () => {
    expect(eventFilter('uniad/site', 'reject')).toBe('uniad/site/+/+/reject');
  });

  it('should refuse levels that would change the topic structure, naming the bad value', () => {
    expect(() => verdictTopic('p', 'a/b', 'c')).toThrow(/line "a\/b"/);
    expect(() => verdictTopic('p', 'l', '+')).toThrow(/camera "\+"/);
    expect(() => statusTopic('p', '')).toThrow(/node ""/);
  });

  it("should name which of MQTT's topic rules a level or prefix breaks", () => {
    expect(topicPartProblem('uniad/plant-1', true)).toBeUndefined();
    expect(topicPartProblem('cam-1', false)).toBeUndefined();
    expect(topicPartProblem('', false)).toBe('is empty');
    expect(topicPartProblem('uniad/#', true)).toBe('contains "#", a wildcard MQTT forbids in the topics a client publishes to');
    expect(topicPartProblem('a+b', false)).toMatch(/^contains "\+", a wildcard/);
    expect(topicPartProblem('uni\u0000ad', true)).toBe('contains a NUL character, which MQTT forbids in a topic');
    expect(topicPartProblem('tab\there', false)).toBe('contains a control character');
    expect(topicPartProblem('bad\ud800', false)).toBe('is not valid UTF-8 (a lone surrogate)');
    expect(topicPartProblem('a/b', false)).toBe('contains "/", which would split it into several topic levels');
    expect(topicPartProblem('/uniad', true)).toBe('starts with "/", an empty first topic level');
    expect(topicPartProblem('uniad/', true)).toBe('ends with "/", an empty topic level');
    expect(topicPartProblem('uniad//site', true)).toBe('has an empty topic level ("//")');
    expect(topicPartProblem('$SYS/x', true)).toBe('starts with "$", which brokers reserve for their own topics ($SYS)');
    expect(topicPartProblem('é'.repeat(40_000), true)).toBe('is 80000 bytes in UTF-8; an MQTT topic holds at most 65535');
  });
});

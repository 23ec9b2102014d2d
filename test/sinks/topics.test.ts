import { describe, expect, it } from 'vitest';
import { eventFilter, heatmapTopic, rejectTopic, statusTopic, verdictTopic } from '../../src/sinks/topics.js';

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
});

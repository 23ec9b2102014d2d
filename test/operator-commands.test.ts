import { describe, expect, it } from 'vitest';
import { commandFilter, commandKinds, commandLimits, commandSpecs, nestingDepth, parseCommandJson, parseCommandTopic, parseRecipe, parseThresholdSet, resultTopic } from '../src/operator-commands.js';

describe('nestingDepth', () => {
  it('should count brackets and braces outside strings only', () => {
    expect(nestingDepth('{}')).toBe(1);
    expect(nestingDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(nestingDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(nestingDepth('{"a":"\\"[[[["}')).toBe(1);
    expect(nestingDepth('42')).toBe(0);
  });

  it('should stop counting past its limit, so a hostile payload costs one pass at most', () => {
    expect(nestingDepth('['.repeat(1_000_000), 8)).toBe(9);
  });
});

describe('parseCommandJson', () => {
  it('should accept a small flat object', () => {
    expect(parseCommandJson('{"threshold": 42}')).toEqual({ ok: true, doc: { threshold: 42 } });
  });

  it('should refuse a value nested deeper than the limit before parsing it', () => {
    const deep = `{"product":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(deep.length).toBeLessThan(commandLimits.maxBytes * 3);
    expect(parseCommandJson(deep.slice(0, 4000) + deep.slice(-4000))).toEqual({ ok: false, why: 'nested more than 8 levels deep' });
    expect(parseCommandJson(`{"a":${'['.repeat(7)}${']'.repeat(7)}}`).ok).toBe(true);
  });

  it('should refuse a payload larger than a command may be, naming its size', () => {
    expect(parseCommandJson(Buffer.alloc(20_000, 0x20))).toEqual({ ok: false, why: '20000 bytes, more than a command may have (8192)' });
  });

  it('should refuse what is not JSON or not an object', () => {
    expect(parseCommandJson('{').ok).toBe(false);
    expect(parseCommandJson('[1]')).toEqual({ ok: false, why: 'not a JSON object' });
  });
});

describe('the command parsers', () => {
  it('should quote a refused value cut short, so a log line stays a line', () => {
    const p = parseThresholdSet(JSON.stringify({ threshold: 'x'.repeat(5000) }));
    expect(p.ok).toBe(false);
    expect(!p.ok && p.why.length).toBeLessThan(140);
    expect(parseRecipe('{"product":{"a":{"b":1}}}')).toEqual({ ok: false, why: '"product" must be a non-empty string, got {"a":{"b":1}}' });
  });
});

describe('the command table (issue 20, items 2 and 14)', () => {
  it('should name each command topic, its levels, and the filter the service subscribes to', () => {
    expect(parseCommandTopic('p/q/l1/c1/threshold/set', 'p/q')).toEqual({ kind: 'threshold', topic: 'p/q/l1/c1/threshold/set', names: { line: 'l1', camera: 'c1' } });
    expect(parseCommandTopic('p/q/l1/recipe', 'p/q')).toEqual({ kind: 'recipe', topic: 'p/q/l1/recipe', names: { line: 'l1' } });
    for (const t of ['p/q/l1/c1/threshold/set/result', 'p/q/l1/recipe/current', 'p/q/status/recipe', 'p/q/l1//threshold/set', 'p/x/l1/recipe']) expect(parseCommandTopic(t, 'p/q'), t).toBeUndefined();
    expect(commandKinds.map((k) => commandFilter(k, 'p/q'))).toEqual(['p/q/+/+/threshold/set', 'p/q/+/recipe', 'p/q/model/promote', 'p/q/+/+/feedback']);
    expect(parseCommandTopic('p/q/model/promote', 'p/q')).toEqual({ kind: 'promote', topic: 'p/q/model/promote', names: {} });
    expect(parseCommandTopic('p/q/l1/c1/feedback', 'p/q')).toEqual({ kind: 'feedback', topic: 'p/q/l1/c1/feedback', names: { line: 'l1', camera: 'c1' } });
    expect(resultTopic('p/q/l1/recipe')).toBe('p/q/l1/recipe/result');
  });

  it('should keep a threshold within the bounds every threshold keeps, and read force and the request id', () => {
    for (const t of [1e300, 1e-300, 0, -1]) expect(parseThresholdSet(JSON.stringify({ threshold: t }))).toEqual({ ok: false, why: `"threshold" must be a number from 1e-9 to 1e9, got ${JSON.stringify(t)}` });
    expect(parseThresholdSet('{"threshold": 1e9, "force": true, "requestId": "r-1"}')).toEqual({ ok: true, threshold: 1e9, force: true, requestId: 'r-1' });
    expect(parseThresholdSet('{"threshold": 42, "force": "yes"}')).toEqual({ ok: false, why: '"force" must be true or false, got "yes"' });
    expect(parseRecipe(JSON.stringify({ product: 'nut', requestId: 'x'.repeat(129) })).ok).toBe(false);
  });
});

describe('the feedback command (issue 22, item 5)', () => {
  const fields = commandSpecs.feedback.fields;

  it('should read a verdict id and a kind, and the defect a missed defect names', () => {
    expect(fields({ verdictId: 'cam1:lx3k2a:1042', kind: 'false-reject' })).toEqual({ ok: true, verdictId: 'cam1:lx3k2a:1042', kind: 'false-reject' });
    expect(fields({ verdictId: 'cam1:lx3k2a:1042', kind: 'missed-defect', defect: 'scratch' })).toEqual({ ok: true, verdictId: 'cam1:lx3k2a:1042', kind: 'missed-defect', defect: 'scratch' });
  });

  it('should refuse what is not a verdict id, another kind, and a defect that is no folder name or not of a missed defect', () => {
    expect(fields({ verdictId: 'cam1-1042', kind: 'false-reject' })).toEqual({ ok: false, why: '"verdictId" must be a verdict\'s id, "<camera>:<session>:<seq>" as its verdict carries it, got "cam1-1042"' });
    expect(fields({ verdictId: 'a:b:1', kind: 'good' })).toEqual({ ok: false, why: '"kind" must be "false-reject" or "missed-defect", got "good"' });
    for (const doc of [{ kind: 'missed-defect', defect: '../x' }, { kind: 'false-reject', defect: 'scratch' }]) {
      expect(fields({ verdictId: 'a:b:1', ...doc })).toMatchObject({ ok: false, why: expect.stringContaining('"defect" names a missed defect\'s kind') });
    }
  });
});

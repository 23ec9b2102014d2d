import { describe, expect, it } from 'vitest';
import { countedPartIds, PartCounter, partsCounted, uint32 } from '../../src/plc/counter.js';
import { parseTrigger } from '../../src/plc/trigger.js';

describe('a PLC part counter', () => {
  it('should count the steps of a uint16 and a uint32 counter across their wrap', () => {
    expect(partsCounted(10, 13, 16)).toBe(3);
    expect(partsCounted(65_535, 1, 16)).toBe(2);
    expect(partsCounted(2 ** 32 - 1, 0, 32)).toBe(1);
    expect(partsCounted(7, 7, 16)).toBe(0);
    expect(uint32(1, 2)).toBe(65_538);
  });

  it('should name parts by the counter, or number them back from the part-id register', () => {
    expect(countedPartIds(65_534, 1, 16)).toEqual(['65535', '0', '1']);
    expect(countedPartIds(4, 6, 16, 1000)).toEqual(['999', '1000']);
    expect(countedPartIds(4, 5, 16, 0)).toEqual(['0']);
    expect(countedPartIds(4, 6, 16, 0)).toEqual(['65535', '0']);
  });

  it('should take the first reading as the baseline, count parts after, parts missed across an outage, and a jump as a new baseline', () => {
    const c = new PartCounter(16);
    expect(c.read(100)).toEqual({ kind: 'baseline' });
    expect(c.read(102)).toEqual({ kind: 'parts', previous: 100, current: 102, count: 2 });
    c.lost();
    expect(c.read(110)).toEqual({ kind: 'missed', count: 8 });
    expect(c.read(111)).toMatchObject({ kind: 'parts', count: 1 });
    expect(c.read(5)).toEqual({ kind: 'jump', previous: 111, current: 5 });
    expect(c.read(6)).toMatchObject({ kind: 'parts', count: 1 });
  });
});

describe('an MQTT trigger', () => {
  it('should take a part id (string or whole number) and the PLC\'s time when it is not ahead of this clock', () => {
    expect(parseTrigger('{"partId":"17","at":900}', 1000)).toEqual({ ok: true, signal: { partId: '17', at: 900 }, clockAhead: false });
    expect(parseTrigger('{"partId":18}', 1000)).toEqual({ ok: true, signal: { partId: '18', at: 1000 }, clockAhead: false });
    expect(parseTrigger('{"partId":"19","at":2000}', 1000)).toEqual({ ok: true, signal: { partId: '19', at: 1000 }, clockAhead: true });
  });

  it('should refuse a retained trigger and a payload without a part id, saying why', () => {
    expect(parseTrigger('{"partId":"1"}', 0, true)).toMatchObject({ ok: false, why: expect.stringContaining('retained') });
    expect(parseTrigger('nope', 0)).toMatchObject({ ok: false, why: expect.stringContaining('not JSON') });
    expect(parseTrigger('{"partId":""}', 0)).toMatchObject({ ok: false, why: expect.stringContaining('partId') });
    expect(parseTrigger('{"partId":"1","at":"now"}', 0)).toMatchObject({ ok: false, why: expect.stringContaining('at must be') });
  });
});

import { describe, expect, it } from 'vitest';
import { FlowGate } from '../../src/sources/flow-gate.js';

describe('FlowGate', () => {
  it('should run what waits for a held camera once, when it is released, and leave other cameras alone', () => {
    const gate = new FlowGate();
    const ran: string[] = [];
    gate.hold('a');
    gate.whenReleased('a', () => ran.push('a1'));
    gate.whenReleased('a', () => ran.push('a2'));
    gate.whenReleased('b', () => ran.push('b'));
    expect(ran).toEqual(['b']);
    expect([gate.isHeld('a'), gate.isHeld('b')]).toEqual([true, false]);
    gate.release('b');
    expect(ran).toEqual(['b']);
    gate.release('a');
    gate.release('a');
    expect(ran).toEqual(['b', 'a1', 'a2']);
    expect(gate.isHeld('a')).toBe(false);
  });
});

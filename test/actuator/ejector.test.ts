/** The ejector's pulses and hold over an output that records what it is driven to (and can be made to fail). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ejector } from '../../src/actuator/ejector.js';
import type { RejectOutput } from '../../src/actuator/outputs/output.js';

class RecordingOutput implements RejectOutput {
  readonly name = 'recording';
  readonly driven: [number, boolean][] = [];
  readonly holds: boolean[] = [];
  failing = false;
  async drive(on: boolean): Promise<void> {
    if (this.failing) throw new Error('PLC unreachable');
    this.driven.push([Date.now(), on]);
  }
  async hold(on: boolean): Promise<void> {
    this.holds.push(on);
  }
  async close(): Promise<void> {}
}

describe('the ejector', () => {
  let out: RecordingOutput;
  let errors: boolean[];
  let ejector: Ejector;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    out = new RecordingOutput();
    errors = [];
    ejector = new Ejector(out, { pulseMs: 50, retryMs: 20, onError: (_err, on) => errors.push(on), now: Date.now });
  });
  afterEach(() => vi.useRealTimers());

  it('should drive the output off when started, and report the position it last confirmed', async () => {
    expect(ejector.position).toBe('unknown');
    ejector.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(out.driven).toEqual([[0, false]]);
    expect(ejector.position).toBe('off');
    ejector.hold(true, 'service offline');
    await vi.advanceTimersByTimeAsync(1);
    expect(ejector.position).toBe('on');
    out.failing = true;
    ejector.hold(false, '');
    await vi.advanceTimersByTimeAsync(1);
    expect(ejector.position).toBe('unknown');
    out.failing = false;
    await vi.advanceTimersByTimeAsync(20);
    expect(ejector.position).toBe('off');
    expect(out.driven).toEqual([
      [0, false],
      [1, true],
      [22, false],
    ]);
  });

  it('should keep the output on for the pulse, and extend it for a pulse that overlaps', async () => {
    const first = ejector.pulse();
    await vi.advanceTimersByTimeAsync(30);
    await expect(first).resolves.toBe(true);
    const second = ejector.pulse();
    await vi.advanceTimersByTimeAsync(100);
    await expect(second).resolves.toBe(true);
    expect(out.driven).toEqual([
      [0, true],
      [80, false],
    ]);
  });

  it('should hold the output on across pulses, and drive it off only when the hold ends', async () => {
    ejector.hold(true, 'service offline');
    await vi.advanceTimersByTimeAsync(10);
    await expect(ejector.pulse()).resolves.toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    ejector.hold(false, '');
    await vi.advanceTimersByTimeAsync(10);
    expect(out.driven).toEqual([
      [0, true],
      [210, false],
    ]);
    expect(out.holds).toEqual([true, false]);
  });

  it('should fail a pulse the output could not take within its own length, and drive the output back once it answers', async () => {
    out.failing = true;
    const pulse = ejector.pulse();
    await vi.advanceTimersByTimeAsync(60);
    await expect(pulse).resolves.toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    ejector.hold(true, 'signal lost');
    await vi.advanceTimersByTimeAsync(100);
    out.failing = false;
    await vi.advanceTimersByTimeAsync(30);
    expect(out.driven).toEqual([[180, true]]);
  });
});

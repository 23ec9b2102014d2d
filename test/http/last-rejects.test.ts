import { describe, expect, it } from 'vitest';
import { LastRejects } from '../../src/http/last-rejects.js';
import type { Verdict } from '../../src/types.js';

const verdict = (over: Partial<Verdict>): Verdict => ({
  id: 'cam1:r:1', camera: 'cam1', line: 'l1', product: 'bolt', seq: 1, capturedAt: 1, decidedAt: 2, score: 0.9, threshold: 0.5, normalizedScore: 1.8, reject: true, reason: 'anomaly', model: 'm@1', ...over,
});

describe('LastRejects', () => {
  it('should keep the newest rejects, newest first, and ignore passes', () => {
    const r = new LastRejects(2);
    for (let seq = 1; seq <= 3; seq++) r.add(verdict({ id: `cam1:r:${seq}`, seq }));
    r.add(verdict({ id: 'cam1:r:4', seq: 4, reject: false, reason: 'ok' }));
    expect(r.toJSON().rejects.map((v) => v.seq)).toEqual([3, 2]);
  });

  it("should give each camera's latest reject with the path of its picture, and make the picture once, when asked", () => {
    const r = new LastRejects();
    let made = 0;
    r.add(verdict({ id: 'cam1:r:1' }), () => () => Buffer.from('one'));
    r.add(verdict({ id: 'a b:r:2', camera: 'a b', line: 'l 2' }), () => () => (made++, Buffer.from('two')));
    r.add(verdict({ id: 'cam3:r:3', camera: 'cam3', reason: 'deadline', score: null, normalizedScore: null }));
    const json = r.toJSON();
    expect(json.cameras['l 2/a b']).toEqual({ verdict: expect.objectContaining({ id: 'a b:r:2' }), picture: 'last-reject.png?line=l%202&camera=a%20b&id=a%20b%3Ar%3A2' });
    expect(json.cameras['l1/cam3']!.picture).toBeNull();
    expect(made).toBe(0);
    expect(r.picture('l 2', 'a b')?.toString()).toBe('two');
    expect(r.picture('l 2', 'a b')?.toString()).toBe('two');
    expect(made).toBe(1);
    expect(r.picture('l1', 'cam3')).toBeUndefined();
    expect(r.picture('l1', 'nope')).toBeUndefined();
  });

  it("should take a camera's picture at most once per gap in a reject storm, list every reject, and show the latest pictured one", () => {
    let now = 0;
    const r = new LastRejects(20, 250, () => now);
    let taken = 0;
    const take = (n: number) => () => (taken++, () => Buffer.from(`picture ${n}`));
    for (let seq = 1; seq <= 10; seq++, now += 50) r.add(verdict({ id: `cam1:r:${seq}`, seq }), take(seq));
    expect(r.toJSON().rejects).toHaveLength(10);
    // taken at 0, 250 (seq 6); seq 11 at 500
    expect(taken).toBe(2);
    expect(r.toJSON().cameras['l1/cam1']!.verdict.seq).toBe(6);
    expect(r.picture('l1', 'cam1')?.toString()).toBe('picture 6');
    r.add(verdict({ id: 'cam1:r:11', seq: 11 }), take(11));
    expect(taken).toBe(3);
    expect(r.picture('l1', 'cam1')?.toString()).toBe('picture 11');
    // another camera has its own gap
    r.add(verdict({ id: 'cam2:r:1', camera: 'cam2' }), take(21));
    expect(taken).toBe(4);
  });
});

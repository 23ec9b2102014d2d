import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskStore } from '../../src/sinks/outbox/disk-store.js';
import { storeSuite } from './store.suite.js';

const root = mkdtempSync(join(tmpdir(), 'uniad-diskstore-'));
let n = 0;
const freshDir = () => join(root, String(n++));
afterAll(() => rmSync(root, { recursive: true, force: true }));

storeSuite('DiskStore', (max) => new DiskStore({ dir: freshDir(), max }));

describe('DiskStore across restarts', () => {
  it('should give back, after reopening, exactly the messages not deleted, in order, with the drop count', async () => {
    const dir = freshDir();
    const a = new DiskStore({ dir, max: 4 });
    const keys = Array.from({ length: 6 }, (_, i) => a.put('t', `m${i}`)); // m0, m1 dropped
    a.del(keys[3]!);
    await a.close();

    const b = new DiskStore({ dir, max: 4 });
    expect([...b.stream()].map((m) => m.payload)).toEqual(['m2', 'm4', 'm5']);
    expect(b.dropped).toBe(2);
    expect(b.put('t', 'm6')).toBeGreaterThan(keys[5]!);
    await b.close();
  });

  it('should keep what a process wrote before it died without closing (no close, no fsync)', async () => {
    const dir = freshDir();
    const a = new DiskStore({ dir, max: 10, fsyncIntervalMs: 60_000 });
    a.put('t', 'survives');
    // no close(): the writes are in the OS already
    const b = new DiskStore({ dir, max: 10 });
    expect([...b.stream()].map((m) => m.payload)).toEqual(['survives']);
    await b.close();
  });

  it('should ignore a torn last line and refuse a corrupt line in the middle, naming the file', async () => {
    const dir = freshDir();
    const a = new DiskStore({ dir, max: 10 });
    a.put('t', 'whole');
    await a.close();
    appendFileSync(join(dir, 'outbox.log'), '{"k":9,"t":"t","p":"tor');
    const b = new DiskStore({ dir, max: 10 });
    expect([...b.stream()].map((m) => m.payload)).toEqual(['whole']);
    await b.close();

    appendFileSync(join(dir, 'outbox.log'), 'garbage\n{"k":10,"t":"t","p":"x"}\n');
    expect(() => new DiskStore({ dir, max: 10 })).toThrow(/outbox\.log.*line 2 is not a queue record/);
  });

  it('should compact the log so acknowledged messages do not grow it without bound', async () => {
    const dir = freshDir();
    const s = new DiskStore({ dir, max: 100, compactAfter: 200 });
    const payload = 'x'.repeat(200);
    for (let i = 0; i < 2000; i++) s.del(s.put('t', payload));
    s.put('t', 'last');
    // uncompacted: 2000 × ~235 bytes; compacted at most ~100 dead puts of ~225 bytes remain
    expect(statSync(join(dir, 'outbox.log')).size).toBeLessThan(30_000);
    await s.close();
    const lines = readFileSync(join(dir, 'outbox.log'), 'utf8').trim().split('\n');
    expect(lines.at(-1)).toContain('"last"');
  });
});

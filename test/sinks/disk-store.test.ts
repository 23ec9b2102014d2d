import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DiskStore, type QueueDamage } from '../../src/sinks/outbox/disk-store.js';
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

  it('should skip a torn last line and a damaged line in the middle, replay the rest, set the damage aside and say what was lost', async () => {
    const dir = freshDir();
    const a = new DiskStore({ dir, max: 10 });
    a.put('t', 'whole');
    await a.close();
    appendFileSync(join(dir, 'outbox.log'), '{"k":9,"t":"t","p":"tor');
    const torn: QueueDamage[] = [];
    const b = new DiskStore({ dir, max: 10, onDamage: (d) => torn.push(d) });
    expect([...b.stream()].map((m) => m.payload)).toEqual(['whole']);
    await b.close();
    expect(torn).toEqual([expect.objectContaining({ lines: 1, zeroBytes: 0, messagesLost: 1, lastIntact: expect.objectContaining({ payload: 'whole' }) })]);

    appendFileSync(join(dir, 'outbox.log'), 'garbage\n{"k":10,"t":"t","p":"x"}\n{"no":"record"}\n');
    const damage: QueueDamage[] = [];
    const c = new DiskStore({ dir, max: 10, onDamage: (d) => damage.push(d) });
    expect([...c.stream()].map((m) => m.payload)).toEqual(['whole', 'x']);
    await c.close();
    expect(damage).toEqual([{ path: join(dir, 'outbox.log'), lines: 2, bytes: 8 + 16, zeroBytes: 0, messagesLost: expect.any(Number), lastIntact: expect.objectContaining({ payload: 'whole' }), setAsideIn: join(dir, 'outbox.damaged') }]);
    const setAside = readFileSync(join(dir, 'outbox.damaged'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string });
    expect(setAside.map((r) => r.text)).toEqual(['{"k":9,"t":"t","p":"tor', 'garbage', '{"no":"record"}']);
    // the damage is in the set-aside file, not in the queue any more
    expect(new DiskStore({ dir, max: 10, onDamage: () => expect.unreachable('damage reported twice') }).size).toBe(2);
  });

  it('should tell how many messages a tail of zeros took (a power loss after the file grew, before its data reached the disk)', async () => {
    const dir = freshDir();
    const a = new DiskStore({ dir, max: 100 });
    const payload = (i: number) => JSON.stringify({ id: `cam1:run:${i}`, camera: 'cam1', score: 0.5 + i / 1000 });
    for (let i = 0; i < 56; i++) a.put('uniad/site/line1/cam1/verdict', payload(i));
    await a.close();
    const log = join(dir, 'outbox.log');
    const lines = readFileSync(log, 'utf8').split('\n');
    // zeroed from the middle of the 51st record on: 6 messages lost
    const keep = lines.slice(0, 50).join('\n').length + 1 + 20;
    const size = statSync(log).size;
    const fd = openSync(log, 'r+');
    writeSync(fd, Buffer.alloc(size - keep), 0, size - keep, keep);
    closeSync(fd);

    const damage: QueueDamage[] = [];
    const b = new DiskStore({ dir, max: 100, onDamage: (d) => damage.push(d) });
    expect(b.size).toBe(50);
    await b.close();
    expect(damage).toHaveLength(1);
    expect(damage[0]).toMatchObject({ lines: 1, zeroBytes: size - keep, messagesLost: 6, lastIntact: { key: 49, payload: payload(49) } });
  });

  it('should queue in memory when its folder cannot be made (a file in its place), and go back to disk once it can', async () => {
    const dir = freshDir();
    writeFileSync(dir, 'not a folder\n');
    const problems: (string | undefined)[] = [];
    const s = new DiskStore({ dir, max: 10, retryMs: 50, onProblem: (p) => problems.push(p) });
    s.put('t', 'kept in memory');
    expect(problems).toEqual([expect.stringMatching(/^ENOTDIR/)]);
    rmSync(dir);
    await vi.waitUntil(() => problems.length === 2, { timeout: 5000 });
    expect(problems[1]).toBeUndefined();
    await s.close();
    expect([...new DiskStore({ dir, max: 10 }).stream()].map((m) => m.payload)).toEqual(['kept in memory']);
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

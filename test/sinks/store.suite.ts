/**
 * The one behaviour every offline-queue store must have (MQTT.js's abstract store test, for our MessageStore).
 * Each store's test file calls `storeSuite` with a factory; a factory gets a fresh store of the given capacity.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/sinks/outbox/store.js';

export function storeSuite(name: string, create: (max: number) => MessageStore | Promise<MessageStore>): void {
  describe(`${name} (shared store suite)`, () => {
    let store: MessageStore | undefined;
    const open = async (max = 100) => (store = await create(max));
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('should be empty when new', async () => {
      const s = await open();
      expect(s.size).toBe(0);
      expect(s.dropped).toBe(0);
      expect([...s.stream()]).toEqual([]);
    });

    it('should return what was put, under increasing keys, in put order', async () => {
      const s = await open();
      const keys = ['a', 'b', 'c'].map((p) => s.put(`t/${p}`, p));
      expect(keys[1]).toBe(keys[0]! + 1);
      expect(keys[2]).toBe(keys[1]! + 1);
      expect(s.get(keys[1]!)).toEqual({ key: keys[1], topic: 't/b', payload: 'b' });
      expect([...s.stream()].map((m) => m.payload)).toEqual(['a', 'b', 'c']);
      expect(s.size).toBe(3);
    });

    it('should forget a deleted message and ignore deleting one that is not there', async () => {
      const s = await open();
      const a = s.put('t', 'a');
      const b = s.put('t', 'b');
      s.del(a);
      s.del(a);
      s.del(12345);
      expect(s.get(a)).toBeUndefined();
      expect([...s.stream()].map((m) => m.key)).toEqual([b]);
      expect(s.size).toBe(1);
    });

    it('should stream from a key, skipping holes left by deletes in the middle', async () => {
      const s = await open();
      const keys = Array.from({ length: 5 }, (_, i) => s.put('t', String(i)));
      s.del(keys[2]!);
      expect([...s.stream(keys[1])].map((m) => m.payload)).toEqual(['1', '3', '4']);
    });

    it('should keep iterating when yielded messages are deleted during the iteration', async () => {
      const s = await open();
      for (let i = 0; i < 4; i++) s.put('t', String(i));
      const seen: string[] = [];
      for (const m of s.stream()) {
        seen.push(m.payload);
        s.del(m.key);
      }
      expect(seen).toEqual(['0', '1', '2', '3']);
      expect(s.size).toBe(0);
    });

    it('should drop the oldest message when full and count it', async () => {
      const s = await open(3);
      for (let i = 0; i < 5; i++) s.put('t', String(i));
      expect([...s.stream()].map((m) => m.payload)).toEqual(['2', '3', '4']);
      expect(s.dropped).toBe(2);
      expect(s.size).toBe(3);
    });

    it('should keep keys increasing after it was emptied', async () => {
      const s = await open();
      const a = s.put('t', 'a');
      s.del(a);
      const b = s.put('t', 'b');
      expect(b).toBeGreaterThan(a);
      expect([...s.stream()].map((m) => m.payload)).toEqual(['b']);
    });

    it('should hold payloads with any text, newlines and non-ASCII included', async () => {
      const s = await open();
      const payload = JSON.stringify({ reason: 'anomaly\nline 2', product: 'Zahnrad ⚙' });
      const k = s.put('uniad/site/l/c/verdict', payload);
      expect(s.get(k)?.payload).toBe(payload);
    });
  });
}

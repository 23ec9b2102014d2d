import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { MemoryStore } from '../../src/sinks/outbox/memory-store.js';
import { Outbox } from '../../src/sinks/outbox/outbox.js';

/** A send whose acknowledgements the test hands out one by one, as a broker's PUBACKs would arrive. */
function broker() {
  const sent: { payload: string; ack: () => void; fail: () => void }[] = [];
  const send = (_topic: string, payload: string) =>
    new Promise<void>((resolve, reject) => sent.push({ payload, ack: resolve, fail: () => reject(new Error('Connection closed')) }));
  return { sent, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('Outbox', () => {
  it('should send nothing while offline and everything, in order, once online', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, 10);
    out.enqueue('t', 'a');
    out.enqueue('t', 'b');
    expect(b.sent).toHaveLength(0);
    out.setOnline(true);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b']);
  });

  it('should keep at most `window` messages unacknowledged and send the next on each acknowledgement', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, 2);
    out.setOnline(true);
    for (const p of ['a', 'b', 'c', 'd']) out.enqueue('t', p);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b']);
    b.sent[0]!.ack();
    await tick();
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b', 'c']);
    expect(out.pending).toBe(3);
  });

  it('should not resend in-flight messages after a reconnect (the MQTT client resends those itself)', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, 10);
    out.setOnline(true);
    out.enqueue('t', 'a');
    out.setOnline(false);
    out.enqueue('t', 'b');
    out.setOnline(true);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b']);
  });

  it('should keep an unacknowledged message stored when its publish fails, for the next start', async () => {
    const b = broker();
    const store = new MemoryStore(100);
    const out = new Outbox(store, b.send, silentLogger, 10);
    out.setOnline(true);
    out.enqueue('t', 'a');
    b.sent[0]!.fail();
    await tick();
    expect([...store.stream()].map((m) => m.payload)).toEqual(['a']);
  });

  it('should resolve idle() once every message is acknowledged', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, 10);
    await out.idle(); // nothing pending: at once
    out.setOnline(true);
    out.enqueue('t', 'a');
    out.enqueue('t', 'b');
    let idle = false;
    void out.idle().then(() => (idle = true));
    b.sent[0]!.ack();
    await tick();
    expect(idle).toBe(false);
    b.sent[1]!.ack();
    await tick();
    expect(idle).toBe(true);
  });
});

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
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, { window: 10 });
    out.enqueue('t', 'a');
    out.enqueue('t', 'b');
    expect(b.sent).toHaveLength(0);
    out.setOnline(true);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b']);
  });

  it('should keep at most `window` messages unacknowledged and send the next on each acknowledgement', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, { window: 2 });
    out.setOnline(true);
    for (const p of ['a', 'b', 'c', 'd']) out.enqueue('t', p);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b']);
    b.sent[0]!.ack();
    await tick();
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b', 'c']);
    expect(out.pending).toBe(3);
  });

  it('should resend what was in flight at a drop itself after the reconnect, one at a time until acknowledged, then the rest', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, { window: 10 });
    out.setOnline(true);
    out.enqueue('t', 'a');
    out.enqueue('t', 'b');
    out.setOnline(false);
    b.sent.forEach((s) => s.fail()); // the sink takes the in-flight sends back from the client
    await tick();
    out.enqueue('t', 'c');
    out.setOnline(true);
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b', 'a']);
    b.sent[2]!.ack();
    await tick();
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b', 'a', 'b']);
    b.sent[3]!.ack();
    await tick();
    expect(b.sent.map((s) => s.payload)).toEqual(['a', 'b', 'a', 'b', 'c']);
  });

  it('should set aside a message alone in flight at two drops in a row, and go on with the next', async () => {
    const b = broker();
    const store = new MemoryStore(100);
    const aside: string[] = [];
    const out = new Outbox(store, b.send, silentLogger, { window: 10, setAside: (m, why) => aside.push(`${m.payload}: ${why}`) });
    const drop = async () => {
      out.setOnline(false);
      b.sent.forEach((s) => s.fail());
      await tick();
      out.setOnline(true);
    };
    out.setOnline(true);
    for (const p of ['a', 'poison', 'c']) out.enqueue('t', p);
    b.sent[0]!.ack();
    await tick();
    await drop(); // poison and c were in flight
    expect(b.sent.slice(3).map((s) => s.payload)).toEqual(['poison']);
    await drop();
    expect(aside).toEqual([]);
    await drop();
    expect(aside).toEqual(['poison: the broker closed the connection each time this message was the only one in flight (2 times): it does not accept it (its topic or size, or an ACL)']);
    expect(out.setAsideTotal).toBe(1);
    expect([...store.stream()].map((m) => m.payload)).toEqual(['c']);
    const last = b.sent.at(-1)!;
    expect(last.payload).toBe('c');
    last.ack();
    await tick();
    expect(store.size).toBe(0);
  });

  it('should set aside at once a message whose send the refusal rule names, and not one that failed for a drop', async () => {
    const sent: string[] = [];
    const send = (_t: string, p: string) => {
      sent.push(p);
      if (p === 'refused') return Promise.reject(Object.assign(new Error('Publish error: Payload format invalid'), { code: 153 }));
      if (p === 'dropped') return Promise.reject(new Error('Connection closed'));
      return Promise.resolve();
    };
    const aside: string[] = [];
    const refusal = (err: Error) => ('code' in err ? `refused by the broker: ${err.message}` : undefined);
    const store = new MemoryStore(100);
    const out = new Outbox(store, send, silentLogger, { window: 10, refusal, setAside: (m, why) => aside.push(`${m.payload}: ${why}`) });
    out.setOnline(true);
    for (const p of ['a', 'refused', 'dropped', 'b']) out.enqueue('t', p);
    await tick();
    expect(aside).toEqual(['refused: refused by the broker: Publish error: Payload format invalid']);
    // a send that failed without a refusal waits for the next connect: no busy loop while the client goes down
    expect(sent).toEqual(['a', 'refused', 'dropped', 'b']);
    expect([...store.stream()].map((m) => m.payload)).toEqual(['dropped']);
  });

  it('should not set aside a message that was alone in flight at one drop (an outage) and acknowledged after it', async () => {
    const b = broker();
    const aside: string[] = [];
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, { window: 10, setAside: (m) => aside.push(m.payload) });
    out.setOnline(true);
    out.enqueue('t', 'a');
    for (let outage = 0; outage < 2; outage++) {
      out.setOnline(false);
      b.sent.forEach((s) => s.fail());
      await tick();
      out.setOnline(true);
    }
    b.sent.at(-1)!.ack();
    await tick();
    expect(aside).toEqual([]);
    expect(out.pending).toBe(0);
  });

  it('should keep an unacknowledged message stored when its publish fails, for the next start', async () => {
    const b = broker();
    const store = new MemoryStore(100);
    const out = new Outbox(store, b.send, silentLogger, { window: 10 });
    out.setOnline(true);
    out.enqueue('t', 'a');
    b.sent[0]!.fail();
    await tick();
    expect([...store.stream()].map((m) => m.payload)).toEqual(['a']);
  });

  it('should resolve idle() once every message is acknowledged', async () => {
    const b = broker();
    const out = new Outbox(new MemoryStore(100), b.send, silentLogger, { window: 10 });
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

/**
 * Dedup claims (fleet/dedup.ts) in a real JetStream key-value bucket of Debian's nats-server: one member handles an
 * id, the others are told it is held or done; a claim is taken over only after its lease; a claim that took more
 * than half the lease is not used; marking done survives a lost answer. Time is a clock the test moves.
 */
import { connect, type KV, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DedupClaims } from '../../src/fleet/dedup.js';
import { claimLeaseMs } from '../../src/fleet/verdict-consumer.js';
import { NatsCluster } from '../support/nats-cluster.js';

describe('dedup claims by verdict id', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let kv: KV;
  let clock = 1_000_000;
  const now = () => clock;
  const lease = 60_000;
  beforeAll(async () => {
    cluster = await NatsCluster.start(1);
    nc = await connect({ servers: cluster.natsUrls });
    kv = await nc.jetstream().views.kv('uniad-dedup-test', { history: 1 });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
  });

  it('should give an id to one member, hold it from the others, and skip it once done', async () => {
    const a = new DedupClaims(kv, 'a', lease, now);
    const b = new DedupClaims(kv, 'b', lease, now);
    const claim = await a.claim('cam1:run:0');
    expect(claim).toMatchObject({ kind: 'mine' });
    expect(await b.claim('cam1:run:0')).toEqual({ kind: 'busy', by: 'a' });
    await a.done('cam1:run:0', (claim as { revision: number }).revision);
    expect(await b.claim('cam1:run:0')).toEqual({ kind: 'done' });
    expect(await a.claim('cam1:run:0')).toEqual({ kind: 'done' });
  });

  it('should let another member take over a claim only once its lease has passed', async () => {
    const a = new DedupClaims(kv, 'a', lease, now);
    const b = new DedupClaims(kv, 'b', lease, now);
    expect(await a.claim('cam1:run:1')).toMatchObject({ kind: 'mine' });
    clock += lease - 1;
    expect(await b.claim('cam1:run:1')).toEqual({ kind: 'busy', by: 'a' });
    clock += 1;
    expect(await b.claim('cam1:run:1')).toMatchObject({ kind: 'mine', takenFrom: 'a' });
    expect(await a.claim('cam1:run:1')).toEqual({ kind: 'busy', by: 'b' });
  });

  it('should not use a claim that took more than half the lease to make', async () => {
    // the bucket's answer arrives late: the clock moves while the create is on its way
    const slowKv = new Proxy(kv, {
      get: (target, name) => (name === 'create' ? async (...args: Parameters<KV['create']>) => ((clock += lease / 2 + 1), target.create(...args)) : Reflect.get(target, name)),
    });
    const a = new DedupClaims(slowKv, 'a', lease, now);
    expect(await a.claim('cam1:run:2')).toEqual({ kind: 'busy', by: 'a', slow: true });
    // the claim stays in the bucket: its own member takes it up again at once, the others after the lease
    expect(await new DedupClaims(kv, 'b', lease, now).claim('cam1:run:2')).toEqual({ kind: 'busy', by: 'a' });
    expect(await new DedupClaims(kv, 'a', lease, now).claim('cam1:run:2')).toEqual({ kind: 'mine', revision: expect.any(Number) });
  });

  it('should take marking done again as done (its first answer lost), and refuse it when another member holds the id', async () => {
    const a = new DedupClaims(kv, 'a', lease, now);
    const claim = (await a.claim('cam1:run:3')) as { kind: 'mine'; revision: number };
    await a.done('cam1:run:3', claim.revision);
    await expect(a.done('cam1:run:3', claim.revision)).resolves.toBeUndefined();

    const mine = (await a.claim('cam1:run:4')) as { kind: 'mine'; revision: number };
    clock += lease;
    expect(await new DedupClaims(kv, 'b', lease, now).claim('cam1:run:4')).toMatchObject({ kind: 'mine', takenFrom: 'a' });
    await expect(a.done('cam1:run:4', mine.revision)).rejects.toThrow(/wrong last sequence/);
  });

  it('should hold a claim a minute at least, and twice the ack wait when that is longer', () => {
    expect(claimLeaseMs(5000)).toBe(60_000);
    expect(claimLeaseMs(45_000)).toBe(90_000);
  });
});

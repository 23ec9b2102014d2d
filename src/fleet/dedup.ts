/**
 * Dedup by verdict id across every member of a consumer group, in a JetStream key-value bucket (replicated like the
 * stream): the first member to meet an id claims it (an atomic create), handles the verdict and marks it done. A
 * copy of the id (a box's resend, a redelivery) is then skipped, or, while the claim is younger than `leaseMs`, put
 * back for later; a claim older than that (its member died mid-way) is taken over. So a verdict is handled once, and
 * only a member that dies between handling and marking done, or cannot reach the bucket for a whole lease, makes it
 * handled twice. The lease is long against the cluster's elections (with a 5 s lease the fault test once handled an
 * id twice).
 */
import type { KV } from 'nats';

interface Claim {
  readonly by: string;
  readonly at: number;
  readonly done: boolean;
}

export type ClaimResult =
  | { readonly kind: 'mine'; readonly revision: number; readonly takenFrom?: string }
  | { readonly kind: 'done' }
  | { readonly kind: 'busy'; readonly by?: string; readonly slow?: boolean };

/** A bucket key for a verdict id: ids hold `:`, which keys do not allow. */
export const dedupKey = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

const encode = (c: Claim) => JSON.stringify(c);

export class DedupClaims {
  constructor(
    private readonly kv: KV,
    private readonly member: string,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Claims `id` for this member, or says it is done or held by another. Throws when the bucket cannot answer. A claim
   * that took more than half the lease to make is not used (`busy`, slow): another member may take it over soon.
   */
  async claim(id: string): Promise<ClaimResult> {
    const key = dedupKey(id);
    const mine: Claim = { by: this.member, at: this.now(), done: false };
    const inTime = (result: ClaimResult): ClaimResult => (this.now() - mine.at > this.leaseMs / 2 ? { kind: 'busy', by: this.member, slow: true } : result);
    try {
      return inTime({ kind: 'mine', revision: await this.kv.create(key, encode(mine)) });
    } catch (err) {
      if (!isWrongSequence(err)) throw err;
    }
    const entry = await this.kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return { kind: 'busy' };
    const held = entry.json<Claim>();
    if (held.done) return { kind: 'done' };
    if (held.by !== this.member && this.now() - held.at < this.leaseMs) return { kind: 'busy', by: held.by };
    // a claim left by a member that died (or our own, from a delivery that timed out): taken over, atomically
    const revision = await this.kv.update(key, encode(mine), entry.revision);
    return inTime({ kind: 'mine', revision, ...(held.by !== this.member && { takenFrom: held.by }) });
  }

  /**
   * Marks `id` handled; after this every copy is skipped. An update refused because the entry changed is fine when
   * the entry says done (this member's earlier update landed though its answer was lost, or another member finished).
   */
  async done(id: string, revision: number): Promise<void> {
    const key = dedupKey(id);
    try {
      await this.kv.update(key, encode({ by: this.member, at: this.now(), done: true }), revision);
    } catch (err) {
      if (!isWrongSequence(err)) throw err;
      const entry = await this.kv.get(key);
      if (entry?.operation !== 'PUT' || !entry.json<Claim>().done) throw err;
    }
  }
}

const isWrongSequence = (err: unknown) => /wrong last sequence|key exists/i.test((err as Error).message);

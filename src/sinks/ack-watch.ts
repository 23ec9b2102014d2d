/**
 * How long the broker has owed an acknowledgement on the current connection. Every QoS 1 publish is noted when it
 * is sent and forgotten when it is acknowledged or fails (a closed connection fails all of them).
 *
 * Why: a broker can keep a connection open and answer its keepalive pings while it acknowledges no publish — seen
 * on nats-server 2.9 after a peer of its cluster was killed, where a node kept a client connected with its status
 * publishes unacknowledged for 15 s and more (docs/fleet.md). MQTT.js never gives such a connection up, and the verdict queue's window
 * fills behind the unacknowledged messages: nothing would be delivered until the process restarts. The link
 * (mqtt-link.ts) asks `overdueMs()` and reconnects past its limit. Pure apart from the injected clock.
 */
export class AckWatch {
  private nextToken = 0;
  /** Token → when it was sent; a Map keeps insertion order, so the first entry is the oldest. */
  private readonly pending = new Map<number, number>();
  private connectedAt = -Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A connection began: what was owed before counts from now. */
  connected(): void {
    this.connectedAt = this.now();
  }

  /** A publish that waits for an acknowledgement was sent; hand the token to `settled` when it ends either way. */
  sent(): number {
    const token = this.nextToken++;
    this.pending.set(token, this.now());
    return token;
  }

  settled(token: number): void {
    this.pending.delete(token);
  }

  /** Acknowledgements owed now. */
  get owed(): number {
    return this.pending.size;
  }

  /** For how long the oldest acknowledgement owed on this connection has been owed; 0 when none is. */
  overdueMs(): number {
    const oldest = this.pending.values().next();
    if (oldest.done === true) return 0;
    return Math.max(0, this.now() - Math.max(oldest.value, this.connectedAt));
  }
}

/**
 * Slows down password guessing: an address with `maxFailures` failed logins within `windowMs` is refused any login
 * for the rest of that window (429), the right password included. A successful login clears its count. Pure but for
 * the clock it is given.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again; 0 when it may now. */
  waitSeconds(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    this.failures.set(address, [...this.recent(address), this.now()]);
    // bounded: an address whose failures are all old is forgotten
    for (const [a, times] of this.failures) if (times.every((t) => this.now() - t > this.windowMs)) this.failures.delete(a);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    return (this.failures.get(address) ?? []).filter((t) => this.now() - t <= this.windowMs);
  }
}

/**
 * Is the event loop answering? A timer that should fire every `intervalMs` measures how late it fires; the last lag
 * tells `/healthz` and the systemd watchdog whether the loop is responsive now (a past stall that has ended is not).
 */
export class EventLoopProbe {
  private last: number;
  private lag = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly maxLagMs = 2000,
    private readonly intervalMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  /** Called by the timer; exposed for tests that drive the clock. */
  tick(): void {
    const t = this.now();
    this.lag = Math.max(0, t - this.last - this.intervalMs);
    this.last = t;
  }

  /** How late the timer last fired, or how long it is overdue now if that is more, ms. */
  lagMs(): number {
    return Math.max(this.lag, this.now() - this.last - this.intervalMs);
  }

  responsive(): boolean {
    return this.lagMs() <= this.maxLagMs;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

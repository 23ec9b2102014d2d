/**
 * The part ids a camera saw last, to tell a redelivered part signal (MQTT QoS 1 is at least once) from a new part.
 * Bounded: a PLC's uint16 counter reuses an id after 65 536 parts, long after it left this window. Pure.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly size = 1024) {}

  /** Whether `id` was seen; remembers it (as the newest) either way. */
  seen(id: string): boolean {
    const known = this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value!);
    return known;
  }
}

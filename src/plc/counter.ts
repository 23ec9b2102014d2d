/**
 * A PLC's part counter, read now and then: how many parts passed since the last reading, and which ids they carry.
 * PLCs count in a register that wraps (uint16: 65535 + 1 = 0), so the step is taken modulo the register's range. Pure.
 *
 * The part id is the PLC's: the part-id register's value when one is configured (the PLC numbers its parts), else
 * the counter's value after that part's step. The service and the actuator read the same registers and so name a
 * part alike: its decision id `<camera>:part:<partId>` is the same on both sides.
 */

/** The counter's range: a uint16 register wraps at 65536, two registers as a uint32 at 2^32. */
export type CounterBits = 16 | 32;

/** Parts counted from `previous` to `current` (both read from the register), the wrap taken into account. */
export function partsCounted(previous: number, current: number, bits: CounterBits): number {
  const range = 2 ** bits;
  return (((current - previous) % range) + range) % range;
}

/**
 * The ids of the parts counted from `previous` to `current`, oldest first: the newest part carries `partId` (the
 * part-id register) or `current`; the ones before it in the same reading are numbered back from it, as a PLC that
 * numbers its parts consecutively did (a reading that holds more than one part means the poll was slow: the caller
 * says so).
 */
export function countedPartIds(previous: number, current: number, bits: CounterBits, partId?: number): string[] {
  const n = partsCounted(previous, current, bits);
  const range = 2 ** bits;
  const newest = partId ?? current;
  return Array.from({ length: n }, (_, i) => String((((newest - (n - 1 - i)) % range) + range) % range));
}

/** A uint32 from two 16-bit registers, high word first (the Modbus convention most PLCs follow). */
export const uint32 = (high: number, low: number): number => high * 65_536 + low;

/** More parts than this in one reading is a counter that was reset or jumped (a PLC restart), not parts. */
export const maxPartsPerReading = 1000;

/** What one reading of the counter means. */
export type CounterStep =
  /** The first reading, or one after a jump: nothing to count from. */
  | { readonly kind: 'baseline' }
  /** Parts counted since the reading before: `countedPartIds(previous, current, …)`. */
  | { readonly kind: 'parts'; readonly previous: number; readonly current: number; readonly count: number }
  /** Parts counted across readings that failed: they passed at unknown times. */
  | { readonly kind: 'missed'; readonly count: number }
  /** More than `maxPartsPerReading` at once: taken as the new baseline. */
  | { readonly kind: 'jump'; readonly previous: number; readonly current: number };

/**
 * The readings of one counter, in order. The last value read is kept across failed readings, so the first reading
 * after an outage counts the parts the outage hid (`missed`). Pure state, no I/O.
 */
export class PartCounter {
  private previous: number | undefined;
  private blind = false;

  constructor(private readonly bits: CounterBits) {}

  /** A reading failed (or the link was lost): the next value's parts passed unseen. */
  lost(): void {
    this.blind = true;
  }

  read(current: number): CounterStep {
    const { previous, blind } = this;
    this.previous = current;
    this.blind = false;
    if (previous === undefined) return { kind: 'baseline' };
    const count = partsCounted(previous, current, this.bits);
    if (count > maxPartsPerReading) return { kind: 'jump', previous, current };
    if (blind) return { kind: 'missed', count };
    return { kind: 'parts', previous, current, count };
  }
}

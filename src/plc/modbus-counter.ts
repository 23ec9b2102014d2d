/**
 * Part signals from a Modbus TCP PLC: its part counter (and optionally its part-id register) polled every `pollMs`.
 * Each step of the counter is one part (counter.ts), seen at the time of the reading that counted it, so a part's
 * time is late by up to one poll.
 *
 * The first reading sets the baseline. Parts counted across an outage passed at unknown times: they are reported as
 * `missed` (the caller logs and counts them, and holds the ejector while blind), never guessed at. A counter that
 * jumps by more than `maxPartsPerReading` (a PLC restart resets it) sets a new baseline (counter.ts).
 */
import type { Logger } from '../types.js';
import { countedPartIds, PartCounter, uint32, type CounterBits } from './counter.js';
import type { ModbusLink } from './modbus-link.js';
import { pollEvery } from './poll-loop.js';
import { countedParts, type CounterEvents, type PartSignal, type PartSignalSource } from './part-signal.js';

export interface ModbusCounterSettings {
  /** Holding register of the part counter (the first of two for a 32-bit counter, high word first). */
  readonly counterRegister: number;
  /** Holding register of the part id of the part counted last (two for 32 bits); absent: the counter names parts. */
  readonly partIdRegister?: number;
  readonly bits: CounterBits;
  readonly pollMs: number;
}

/** The registers one reading covers, as one block: the counter and the part id. */
function block(s: ModbusCounterSettings): { start: number; count: number } {
  const words = s.bits / 16;
  const ends = [s.counterRegister + words, ...(s.partIdRegister === undefined ? [] : [s.partIdRegister + words])];
  const start = Math.min(s.counterRegister, s.partIdRegister ?? s.counterRegister);
  return { start, count: Math.max(...ends) - start };
}

export class ModbusCounter implements PartSignalSource {
  private poll: { stop(): void } | undefined;
  private readonly counter: PartCounter;

  constructor(
    private readonly link: ModbusLink,
    private readonly settings: ModbusCounterSettings,
    private readonly logger: Logger,
    private readonly events: CounterEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new PartCounter(settings.bits);
  }

  get state() {
    return this.link.state;
  }

  start(onPart: (signal: PartSignal) => void): void {
    const { start, count } = block(this.settings);
    const word = (register: number) => {
      const at = register - start;
      return (registers: number[]) => (this.settings.bits === 16 ? registers[at]! : uint32(registers[at]!, registers[at + 1]!));
    };
    const counter = word(this.settings.counterRegister);
    const partId = this.settings.partIdRegister === undefined ? undefined : word(this.settings.partIdRegister);
    this.poll = pollEvery(this.settings.pollMs, async () => {
      try {
        const registers = await this.link.readHoldingRegisters(start, count);
        this.reading(counter(registers), partId?.(registers), this.now(), onPart);
      } catch (err) {
        // the link logs and counts its outages; the parts of the outage are counted by the first reading after it
        if (this.link.state.isUp) this.logger.error('plc: the part counter cannot be read', { link: this.link.state.name, error: (err as Error).message });
        this.counter.lost();
      }
    });
  }

  private reading(value: number, partId: number | undefined, at: number, onPart: (signal: PartSignal) => void): void {
    const step = this.counter.read(value);
    if (!countedParts(step, this.link.state.name, this.logger, this.events)) return;
    const ids = countedPartIds(step.previous, step.current, this.settings.bits, partId);
    if (ids.length > 1) this.logger.warn('plc: one poll counted several parts; poll faster (signal.pollMs) for exact part times', { link: this.link.state.name, parts: ids.length, pollMs: this.settings.pollMs });
    for (const id of ids) onPart({ partId: id, at });
  }

  /** Stops polling and closes the link (the counter's own). */
  async close(): Promise<void> {
    this.poll?.stop();
    await this.link.close();
  }
}

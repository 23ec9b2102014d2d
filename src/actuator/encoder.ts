/**
 * The conveyor as the PLC's encoder sees it: a counter register that advances with the belt (uint16 or uint32,
 * wrapping), polled every `pollMs`. A part reaches the ejector when the encoder has advanced `countsToEjector` since
 * its signal; a belt that stops holds its parts, and the ejection waits with them.
 *
 * Readings are unwrapped into one growing position and kept for `historyMs`, so the position at a part's signal
 * time is interpolated between the readings around it (a decision that names its `signalAt` finds it too). Between
 * readings the position is extrapolated at the speed of the last `speedWindowMs`; each reading re-times the parts
 * (`onReading`). Pure arithmetic in `EncoderTrack`; the polling is `EncoderPoll`.
 */
import type { CounterBits } from '../plc/counter.js';
import { partsCounted, uint32 } from '../plc/counter.js';
import type { ModbusLink } from '../plc/modbus-link.js';
import { pollEvery } from '../plc/poll-loop.js';
import type { Logger } from '../types.js';
import type { Conveyor } from './conveyor.js';

interface Sample {
  readonly at: number;
  readonly position: number;
}

export class EncoderTrack implements Conveyor {
  private readonly samples: Sample[] = [];
  private raw: number | undefined;

  constructor(
    private readonly bits: CounterBits,
    private readonly countsToEjector: number,
    private readonly historyMs = 60_000,
    private readonly speedWindowMs = 200,
  ) {}

  /** A reading of the register at `at`. */
  add(value: number, at: number): void {
    const last = this.samples.at(-1);
    const position = last === undefined || this.raw === undefined ? 0 : last.position + partsCounted(this.raw, value, this.bits);
    this.raw = value;
    this.samples.push({ at, position });
    while (this.samples.length > 2 && this.samples[0]!.at < at - this.historyMs) this.samples.shift();
  }

  /** Counts a millisecond over the last `speedWindowMs` (0 when standing or unknown). */
  speed(): number {
    const last = this.samples.at(-1);
    if (last === undefined) return 0;
    const from = this.samples.find((s) => s.at >= last.at - this.speedWindowMs && s !== last) ?? this.samples.at(-2);
    if (from === undefined || from === last || last.at <= from.at) return 0;
    return (last.position - from.position) / (last.at - from.at);
  }

  /** The position at `at`: interpolated between readings, extrapolated after the last; undefined before the first kept. */
  positionAt(at: number): number | undefined {
    const last = this.samples.at(-1);
    if (last === undefined || at < this.samples[0]!.at) return undefined;
    if (at >= last.at) return last.position + this.speed() * (at - last.at);
    const i = this.samples.findIndex((s) => s.at >= at);
    const after = this.samples[i]!;
    const before = this.samples[i - 1] ?? after;
    if (after.at === before.at) return after.position;
    return before.position + ((after.position - before.position) * (at - before.at)) / (after.at - before.at);
  }

  ejectorPosition(at: number): number | undefined {
    const position = this.positionAt(at);
    return position === undefined ? undefined : position + this.countsToEjector;
  }

  msUntil(position: number, now: number): number {
    const here = this.positionAt(now);
    if (here === undefined) return Infinity;
    const speed = this.speed();
    if (position <= here) return speed > 0 ? (position - here) / speed : 0;
    return speed > 0 ? (position - here) / speed : Infinity;
  }
}

export interface EncoderSettings {
  /** Holding register of the encoder count (the first of two for 32 bits, high word first). */
  readonly register: number;
  readonly bits: CounterBits;
  readonly pollMs: number;
}

/** Polls the encoder register into `track`; `onReading` after every reading (the tracker re-times its parts). */
export class EncoderPoll {
  private poll: { stop(): void } | undefined;

  constructor(
    private readonly link: ModbusLink,
    private readonly settings: EncoderSettings,
    readonly track: EncoderTrack,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get state() {
    return this.link.state;
  }

  start(onReading: () => void): void {
    const words = this.settings.bits / 16;
    this.poll = pollEvery(this.settings.pollMs, async () => {
      try {
        const r = await this.link.readHoldingRegisters(this.settings.register, words);
        this.track.add(words === 1 ? r[0]! : uint32(r[0]!, r[1]!), this.now());
        onReading();
      } catch (err) {
        if (this.link.state.isUp) this.logger.error('plc: the encoder cannot be read', { link: this.link.state.name, error: (err as Error).message });
      }
    });
  }

  /** Stops polling and closes the link (the encoder's own). */
  async close(): Promise<void> {
    this.poll?.stop();
    await this.link.close();
  }
}

/**
 * Part signals from an OPC UA PLC: a subscription to its part-counter node (and a read of its part-id node when the
 * counter moves). Each step of the counter is one part (counter.ts), timed by the value's source timestamp (the
 * PLC's clock, part-signal.ts `signalTime`), else by the notification's arrival.
 * The PLC must write a part's id before it counts the part.
 *
 * As with Modbus (modbus-counter.ts), the first value sets the baseline, the first value after the session was lost
 * counts the parts that passed unseen (`missed`), and a jump sets a new baseline (counter.ts).
 */
import type { Logger } from '../types.js';
import { countedPartIds, PartCounter, type CounterBits } from './counter.js';
import type { OpcuaLink } from './opcua-link.js';
import { countedParts, signalTime, type CounterEvents, type PartSignal, type PartSignalSource } from './part-signal.js';

export interface OpcuaCounterSettings {
  /** The counter node, e.g. `ns=2;s=Line1.PartCounter` (UInt16 or UInt32: `bits`). */
  readonly counterNode: string;
  readonly partIdNode?: string;
  readonly bits: CounterBits;
  /** The sampling interval asked of the server. */
  readonly samplingMs: number;
}

export class OpcuaCounter implements PartSignalSource {
  private readonly counter: PartCounter;
  /** Readings in order: a part-id read must not let a later change overtake an earlier one. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: OpcuaLink,
    private readonly settings: OpcuaCounterSettings,
    private readonly logger: Logger,
    private readonly events: CounterEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new PartCounter(settings.bits);
    link.state.onChange((up) => up || this.counter.lost());
  }

  get state() {
    return this.link.state;
  }

  start(onPart: (signal: PartSignal) => void): void {
    this.link.monitor(this.settings.counterNode, this.settings.samplingMs, (value, sourceAt) => {
      // the server reports in its publishing cycle (50 ms at the fastest for some): the PLC's stamp is when it counted
      const { at } = signalTime(sourceAt, this.now());
      this.chain = this.chain.then(() => this.reading(Number(value), at, onPart)).catch((err: Error) => this.logger.error('plc: a part could not be read', { link: this.link.state.name, error: err.message }));
    });
  }

  private async reading(value: number, at: number, onPart: (signal: PartSignal) => void): Promise<void> {
    if (!Number.isInteger(value)) return;
    const step = this.counter.read(value);
    if (!countedParts(step, this.link.state.name, this.logger, this.events) || step.count === 0) return;
    const partId = this.settings.partIdNode === undefined ? undefined : Number(await this.link.read(this.settings.partIdNode));
    for (const id of countedPartIds(step.previous, step.current, this.settings.bits, partId)) onPart({ partId: id, at });
  }

  /** Closes the link (the counter's own) once the reading in progress is done. */
  async close(): Promise<void> {
    await this.chain;
    await this.link.close();
  }
}

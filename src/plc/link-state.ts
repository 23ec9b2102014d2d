/**
 * Whether a PLC link (a Modbus TCP connection, an OPC UA session) is up, told once per change: the first failure
 * of a run of failures is logged at error and every later one only counted, so a PLC that is down for an hour
 * leaves two log lines (down, up again) and a metric, not one line a poll.
 */
import type { Logger } from '../types.js';

export type LinkListener = (up: boolean, why?: string) => void;

export class LinkState {
  private up: boolean | undefined;
  private readonly listeners: LinkListener[] = [];

  constructor(
    /** What the log calls the link: `modbus 10.0.0.5:502 unit 1`. */
    readonly name: string,
    private readonly logger: Logger,
  ) {}

  get isUp(): boolean {
    return this.up === true;
  }

  onChange(listener: LinkListener): void {
    this.listeners.push(listener);
  }

  set(up: boolean, why?: string): void {
    if (this.up === up) return;
    const first = this.up === undefined;
    this.up = up;
    if (up) this.logger.info(first ? 'plc: link up' : 'plc: link up again', { link: this.name });
    else this.logger.error('plc: link down, retrying', { link: this.name, error: why });
    for (const l of this.listeners) l(up, why);
  }
}

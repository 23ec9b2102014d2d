/**
 * One Modbus TCP connection to a PLC (modbus-serial's client), for the part counter, the encoder and the reject coil.
 *
 * - Requests go one at a time: many PLCs serve one request per connection at a time, and a request never waits
 *   behind Nagle's algorithm for the answer to the one before.
 * - Connected on the first request, and again on the first request after a failure, no sooner than `retryMs` after
 *   the last attempt: the caller's own rhythm (a poll, a pulse) drives reconnection, and a dead PLC costs one failed
 *   connect a `retryMs`, not one a request.
 * - A transport failure (refused, timed out, closed) takes the link down (LinkState) and rejects with
 *   PLC_UNREACHABLE; a Modbus exception (the PLC answered: illegal address, …) leaves it up and rejects with
 *   MODBUS_EXCEPTION naming the address, which a config fixes.
 */
import modbusSerial from 'modbus-serial';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import { LinkState } from './link-state.js';

export interface ModbusAddress {
  readonly host: string;
  readonly port: number;
  /** The Modbus unit (slave) id; 1 for most PLCs on TCP, 255 for some. */
  readonly unitId: number;
  /** How long a request may wait for its answer. */
  readonly timeoutMs: number;
}

/** `modbus 10.0.0.5:502 unit 1`: how logs and errors name a link. */
export const modbusName = (a: ModbusAddress): string => `modbus ${a.host}:${a.port} unit ${a.unitId}`;

// modbus-serial is CommonJS: its class is module.exports, and module.exports.default for typed ESM imports
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

interface ModbusFailure {
  readonly message?: string;
  readonly modbusCode?: number;
}

export class ModbusLink {
  readonly state: LinkState;
  private client: ModbusRTU | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastAttempt = -Infinity;
  private closed = false;

  constructor(
    readonly address: ModbusAddress,
    logger: Logger,
    private readonly retryMs = 1000,
  ) {
    this.state = new LinkState(modbusName(address), logger);
  }

  readHoldingRegisters(start: number, count: number): Promise<number[]> {
    return this.request(`holding registers ${start}..${start + count - 1}`, async (c) => (await c.readHoldingRegisters(start, count)).data);
  }

  async writeCoil(coil: number, value: boolean): Promise<void> {
    await this.request(`coil ${coil}`, (c) => c.writeCoil(coil, value));
  }

  async writeRegisters(start: number, values: readonly number[]): Promise<void> {
    await this.request(`holding registers ${start}..${start + values.length - 1}`, (c) => c.writeRegisters(start, [...values]));
  }

  /** Ends the connection; later requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.drop();
  }

  private request<T>(what: string, run: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const next = this.queue.then(
      () => this.send(what, run),
      () => this.send(what, run),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async send<T>(what: string, run: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const name = this.state.name;
    if (this.closed) throw uniadError('PLC_UNREACHABLE', name, 'the link is closed');
    const client = await this.connected();
    try {
      const result = await run(client);
      this.state.set(true);
      return result;
    } catch (err) {
      const failure = err as ModbusFailure;
      if (failure.modbusCode !== undefined) throw uniadError('MODBUS_EXCEPTION', name, what, failure.message ?? `exception ${failure.modbusCode}`);
      this.fail(failure.message ?? String(err));
      throw uniadError('PLC_UNREACHABLE', name, `${what}: ${failure.message ?? String(err)}`);
    }
  }

  private async connected(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    const name = this.state.name;
    const wait = this.lastAttempt + this.retryMs - performance.now();
    if (wait > 0) throw uniadError('PLC_UNREACHABLE', name, `not connected; the next attempt in ${Math.ceil(wait)} ms`);
    this.lastAttempt = performance.now();
    this.drop();
    const client = new ModbusRTU();
    this.client = client;
    try {
      await client.connectTCP(this.address.host, { port: this.address.port });
    } catch (err) {
      const why = (err as Error).message;
      this.fail(why);
      throw uniadError('PLC_UNREACHABLE', name, why);
    }
    client.setID(this.address.unitId);
    client.setTimeout(this.address.timeoutMs);
    return client;
  }

  private fail(why: string): void {
    this.drop();
    this.state.set(false, why);
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) client.close(() => undefined);
  }
}

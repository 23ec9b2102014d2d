/**
 * A PLC and its line, simulated for tests against the real actuator (and, later, the real service): a real Modbus
 * TCP server (modbus-serial's ServerTCP) on a free loopback port that
 * - counts parts in a holding register (uint16, wrapping) with the part id beside it, at the line's pace;
 * - knows when each part reaches the ejector (its signal time + the travel time of the belt);
 * - optionally advances an encoder register with the belt;
 * - logs every coil and register write with its time, and reads the actuator's decision records (7 registers at
 *   `recordRegister`, src/actuator/outputs/modbus-coil.ts) so that an independent observer can say of every part:
 *   exactly one output decision, none undecided, none fired twice (`audit`).
 *
 * Times are `Date.now()` epoch ms, the clock the actuator stamps its records with.
 */
import modbusSerial from 'modbus-serial';
import type { AddressInfo, Server, Socket } from 'node:net';
import { freePort } from './free-port.js';

export interface LineSettings {
  /** Holding register of the part counter and of the part id. */
  readonly counterRegister: number;
  readonly partIdRegister: number;
  /** Belt travel from the camera's part signal to the ejector. */
  readonly travelMs: number;
  /** The first of the 7 registers the actuator writes each decision record to. */
  readonly recordRegister: number;
  /** The reject coil. */
  readonly coil: number;
  /** An encoder register advancing `countsPerMs` with the belt (absent: none). */
  readonly encoder?: { readonly register: number; readonly countsPerMs: number };
  /** The first part id; ids count up from it (uint16). */
  readonly firstPartId?: number;
}

export interface Write {
  readonly at: number;
  readonly kind: 'coil' | 'registers';
  readonly address: number;
  readonly values: readonly (number | boolean)[];
}

export interface SimPart {
  readonly partId: string;
  readonly signalAt: number;
  readonly ejectorAt: number;
}

/** A decision record as the actuator wrote it (modbus-coil.ts). */
export interface SimRecord {
  readonly at: number;
  readonly sequence: number;
  readonly partId: string;
  readonly reject: boolean;
  readonly reason: 'decided' | 'fail-safe';
  readonly slackMs: number | undefined;
  readonly outputOk: boolean | undefined;
}

export interface Audit {
  /** Parts that passed the ejector (plus the grace) and their records. */
  readonly passed: number;
  readonly undecided: readonly string[];
  /** Parts with more than one record. */
  readonly twice: readonly string[];
  /** Records for parts the line never made. */
  readonly unknown: readonly string[];
  readonly records: ReadonlyMap<string, readonly SimRecord[]>;
}

const { ServerTCP } = modbusSerial;
const int16 = (u: number) => (u >= 32_768 ? u - 65_536 : u);

export class PlcSimulator {
  readonly writes: Write[] = [];
  readonly parts: SimPart[] = [];
  readonly records: SimRecord[] = [];
  private readonly registers = new Map<number, number>();
  private readonly coils = new Map<number, boolean>();
  private counter = 0;
  private nextId: number;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private server: InstanceType<typeof ServerTCP> | undefined;

  private constructor(
    readonly port: number,
    readonly line: LineSettings,
  ) {
    this.nextId = line.firstPartId ?? 1;
  }

  static async start(line: LineSettings): Promise<PlcSimulator> {
    const sim = new PlcSimulator(await freePort(), line);
    await sim.listen();
    return sim;
  }

  /** Starts (again, after stop()) serving on the same port. */
  async listen(): Promise<void> {
    const read = (address: number) => this.read(address);
    this.server = new ServerTCP(
      {
        getHoldingRegister: (address: number) => read(address),
        getMultipleHoldingRegisters: (address: number, length: number) => Array.from({ length }, (_, i) => read(address + i)),
        getCoil: (address: number) => this.coils.get(address) ?? false,
        setCoil: (address: number, value: boolean) => this.write('coil', address, [value]),
        setRegister: (address: number, value: number) => this.write('registers', address, [value]),
        setRegisterArray: (address: number, values: number[]) => this.write('registers', address, values),
      },
      { host: '127.0.0.1', port: this.port, unitID: 1 },
    );
    const net = (this.server as unknown as { _server: Server })._server;
    // answers go out at once, not after the client's acknowledgement of the one before
    net.on('connection', (socket: Socket) => socket.setNoDelay(true));
    await new Promise<void>((resolve, reject) => {
      this.server!.on('initialized', () => resolve());
      this.server!.on('serverError', (err) => reject(err));
    });
    if ((net.address() as AddressInfo).port !== this.port) throw new Error('the simulator did not bind its port');
  }

  /** Stops serving (the PLC is unreachable) and cuts its clients off; the line goes on counting. */
  async stopServing(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of server.socks.keys()) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  private read(address: number): number {
    const { encoder } = this.line;
    if (encoder && address === encoder.register) return Math.floor((Date.now() - this.startedAt) * encoder.countsPerMs) % 65_536;
    if (address === this.line.counterRegister) return this.counter;
    return this.registers.get(address) ?? 0;
  }

  private write(kind: Write['kind'], address: number, values: (number | boolean)[]): void {
    const at = Date.now();
    this.writes.push({ at, kind, address, values });
    if (kind === 'coil') this.coils.set(address, values[0] as boolean);
    else values.forEach((v, i) => this.registers.set(address + i, v as number));
    if (kind === 'registers' && address === this.line.recordRegister && values.length === 7) {
      const [sequence, high, low, reject, reason, slack, ok] = values as number[];
      const id = high! * 65_536 + low!;
      this.records.push({
        at,
        sequence: sequence!,
        partId: id === 0xffff_ffff ? '?' : String(id),
        reject: reject === 1,
        reason: reason === 1 ? 'decided' : 'fail-safe',
        slackMs: slack === 0x8000 ? undefined : int16(slack!),
        outputOk: ok === 2 ? undefined : ok === 1,
      });
    }
  }

  /** One part at the camera now: the counter steps and the part id register names it. */
  part(): SimPart {
    const partId = this.nextId;
    this.nextId = (this.nextId + 1) % 65_536;
    this.registers.set(this.line.partIdRegister, partId);
    this.counter = (this.counter + 1) % 65_536;
    const signalAt = Date.now();
    const p = { partId: String(partId), signalAt, ejectorAt: signalAt + this.line.travelMs };
    this.parts.push(p);
    return p;
  }

  /** `count` parts, one every `periodMs` (the line's pace); `onPart` for each, e.g. to publish its decision. */
  run(count: number, periodMs: number, onPart: (p: SimPart) => void = () => undefined): Promise<void> {
    return new Promise((resolve) => {
      let made = 0;
      const next = () => {
        onPart(this.part());
        if (++made < count) this.timer = setTimeout(next, periodMs);
        else resolve();
      };
      next();
    });
  }

  /** The coil's value changes in time order: [at, on]. */
  coilChanges(coil = this.line.coil): [number, boolean][] {
    return this.writes.filter((w) => w.kind === 'coil' && w.address === coil).map((w) => [w.at, w.values[0] as boolean]);
  }

  /**
   * Every part whose ejector time is `graceMs` past, with the records the actuator wrote for it: none may be
   * undecided or decided twice, and no record may name a part the line did not make.
   */
  audit(graceMs = 500, now = Date.now()): Audit {
    const passed = this.parts.filter((p) => p.ejectorAt + graceMs <= now);
    const byPart = new Map<string, SimRecord[]>();
    for (const r of this.records) byPart.set(r.partId, [...(byPart.get(r.partId) ?? []), r]);
    const made = new Set(this.parts.map((p) => p.partId));
    return {
      passed: passed.length,
      undecided: passed.filter((p) => !byPart.has(p.partId)).map((p) => p.partId),
      twice: [...byPart].filter(([, rs]) => rs.length > 1).map(([id]) => id),
      unknown: [...byPart.keys()].filter((id) => !made.has(id)),
      records: byPart,
    };
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.stopServing();
  }
}

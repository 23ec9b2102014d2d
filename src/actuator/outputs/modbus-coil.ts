/**
 * Output: a Modbus TCP coil of the PLC (or of a Modbus I/O module wired to the valve), driven on for the pulse and
 * held on for "divert all". Optionally every ejection-time decision is also written to a block of holding registers
 * (`recordRegister`), so that the PLC can count and log what the actuator decided:
 *
 *   +0  sequence    this run's ejection number, wraps at 65536 (a PLC sees a new record by its change)
 *   +1  part id     high word  } the part id as a uint32 when it is a decimal number below 2^32,
 *   +2  part id     low word   } else 0xFFFF 0xFFFF
 *   +3  decision    1 reject, 0 pass
 *   +4  reason      1 decided, 2 fail-safe
 *   +5  slack       ms the decision came before its deadline, int16 (two's complement; -32768 when none came)
 *   +6  output ok   1 the reject position was reached, 0 it failed, 2 a pass (nothing to drive)
 *
 * Held coils: a Modbus PLC keeps a coil at its last written value when the client goes away, so a hold that was on
 * when the actuator died stays on (divert all) until the actuator writes it off.
 */
import { modbusName, type ModbusLink } from '../../plc/modbus-link.js';
import type { EjectionRecord, RejectOutput } from './output.js';

export interface ModbusCoilSettings {
  readonly coil: number;
  /** The first of 7 holding registers that take each record (above); absent: no record. */
  readonly recordRegister?: number;
}

export const recordWords = 7;
const noPartId = 0xffff_ffff;
const noSlack = -32_768;

/** The registers of one record, as above. Pure. */
export function modbusRecord(r: EjectionRecord): number[] {
  const id = /^\d+$/.test(r.partId) && Number(r.partId) < 2 ** 32 ? Number(r.partId) : noPartId;
  const slack = r.slackMs === undefined ? noSlack : Math.max(-32_767, Math.min(32_767, Math.round(r.slackMs)));
  return [r.sequence % 65_536, Math.floor(id / 65_536), id % 65_536, r.reject ? 1 : 0, r.reason === 'decided' ? 1 : 2, slack & 0xffff, r.outputOk === undefined ? 2 : r.outputOk ? 1 : 0];
}

export class ModbusCoilOutput implements RejectOutput {
  readonly name: string;

  constructor(
    private readonly link: ModbusLink,
    private readonly settings: ModbusCoilSettings,
  ) {
    this.name = `${modbusName(link.address)} coil ${settings.coil}`;
  }

  get state() {
    return this.link.state;
  }

  drive(on: boolean): Promise<void> {
    return this.link.writeCoil(this.settings.coil, on);
  }

  async record(r: EjectionRecord): Promise<void> {
    if (this.settings.recordRegister !== undefined) await this.link.writeRegisters(this.settings.recordRegister, modbusRecord(r));
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

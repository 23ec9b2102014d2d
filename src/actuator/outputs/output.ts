/**
 * What every reject output is to the actuator: something it drives into the reject position and back, and that may
 * also take each ejection-time decision as a record (for a PLC that counts or logs them). One file an output kind
 * beside this one; the pulse and the hold are the ejector's (ejector.ts), not the output's.
 */
import type { LinkState } from '../../plc/link-state.js';
import type { Ejection } from '../part-tracker.js';

/** An ejection as the output records it: the tracker's record and its number in this run (wraps as the output needs). */
export interface EjectionRecord extends Ejection {
  readonly sequence: number;
  /** Whether the reject position was reached (false: the output failed; absent for a pass). */
  readonly outputOk?: boolean;
}

export interface RejectOutput {
  /** What logs and metrics call it: `modbus 10.0.0.5:502 unit 1 coil 0`. */
  readonly name: string;
  /** The PLC link it writes over, where it has one (metrics show it up or down). */
  readonly state?: LinkState;
  /** Puts the ejector in the reject position (true) or back (false); rejects when the output cannot. */
  drive(on: boolean): Promise<void>;
  /** Every ejection-time decision, pass or reject, after its pulse; outputs without a record place leave it out. */
  record?(r: EjectionRecord): Promise<void>;
  /** The ejector holds the reject position for every part ("divert all"), or stops holding. */
  hold?(on: boolean, why: string): Promise<void>;
  close(): Promise<void>;
}

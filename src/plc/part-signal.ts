/**
 * A part signal: the PLC's word that a part is at the camera, with the PLC's id for it. It comes from a Modbus part
 * counter (modbus-counter.ts), an OPC UA subscription (opcua-counter.ts) or an MQTT trigger message (trigger.ts);
 * each source says so through this one shape.
 */
import type { Logger } from '../types.js';
import type { CounterStep } from './counter.js';
import type { LinkState } from './link-state.js';

export interface PartSignal {
  readonly partId: string;
  /** Epoch ms when the part was at the camera: the reading that counted it, or the PLC's own stamp. */
  readonly at: number;
}

/** A stamp further ahead of this clock than this is from a clock that runs fast. */
export const maxClockLeadMs = 50;

/**
 * A part's time from the PLC's own stamp (an MQTT trigger's `at`, an OPC UA value's source timestamp) when it has
 * one that is not ahead of this clock, else the time the signal arrived. The PLC's and this box's clocks must agree
 * (NTP) for the stamp to help; it makes the part's time independent of how late the signal was delivered.
 */
export function signalTime(stamp: number | undefined, receivedAt: number): { readonly at: number; readonly clockAhead: boolean } {
  const clockAhead = stamp !== undefined && stamp > receivedAt + maxClockLeadMs;
  return { at: stamp === undefined || clockAhead ? receivedAt : stamp, clockAhead };
}

export interface PartSignalSource {
  /** Up while parts can be seen; a source that is down cannot tell that a part passed. */
  readonly state: LinkState;
  /** Starts watching; `onPart` for every part, oldest first. */
  start(onPart: (signal: PartSignal) => void): void;
  close(): Promise<void>;
}

export interface CounterEvents {
  /** Parts counted across an outage: they passed the camera unseen, at unknown times. */
  readonly missed?: (parts: number) => void;
}

/** Says what a counter step other than parts means (log, `missed`); true when the step counted parts the caller emits. */
export function countedParts(step: CounterStep, link: string, logger: Logger, events: CounterEvents): step is Extract<CounterStep, { kind: 'parts' }> {
  switch (step.kind) {
    case 'parts':
      return true;
    case 'missed':
      if (step.count > 0) events.missed?.(step.count);
      return false;
    case 'jump':
      logger.warn('plc: the part counter jumped (a PLC restart or a counter reset?); taken as the new baseline', { link, from: step.previous, to: step.current });
      return false;
    case 'baseline':
      return false;
  }
}

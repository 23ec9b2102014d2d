/** `stations[].output:` — what the actuator drives at a part's ejection moment (src/actuator/outputs/). */
import { z } from 'zod';
import { range } from '../../config/fields.js';
import { modbusAddress, nodeId, opcuaEndpoint, register } from './plc.js';

export const timing = {
  /** Commanded this long before the part is at the ejector: the valve's, relay's and network's own delay. */
  leadMs: range(0, 10_000, ' ms', 'the output\'s own delay, subtracted from the part\'s travel').default(0),
  /** How long the output stays in the reject position for one part. */
  pulseMs: range(1, 10_000, ' ms', 'how long a reject keeps the output on').default(50),
};

export const output = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('modbus'),
      ...modbusAddress,
      ...timing,
      coil: register(),
      /** The first of 7 holding registers each ejection-time decision is written to (outputs/modbus-coil.ts). */
      recordRegister: register().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('opcua'),
      ...opcuaEndpoint,
      ...timing,
      node: nodeId(),
      recordNode: nodeId().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('gpio'),
      ...timing,
      chip: z.string().regex(/^(\/dev\/)?gpiochip\d+$|^\d+$/, 'write gpiochipN, N or /dev/gpiochipN (gpiodetect lists them)'),
      line: range(0, 1023, '', 'the line offset on the chip (gpioinfo lists them)', true),
      activeLow: z.boolean().default(false),
    })
    .strict(),
  /** The decision published on `<prefix>/<line>/<camera>/eject` at the ejection moment, for a PLC that subscribes. */
  z.object({ kind: z.literal('mqtt'), ...timing }).strict(),
]);

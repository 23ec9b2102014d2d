/**
 * `stations[].signal:` — where the actuator learns that a part passed the camera, independently of the service. Left
 * out for a free-running camera without a PLC signal: its parts are known from their decisions only, and the
 * ejector holds in reject while the service is offline or stalled (docs/actuator.md).
 */
import { z } from 'zod';
import { range } from '../../config/fields.js';
import { counterBits, modbusAddress, nodeId, opcuaEndpoint, register } from './plc.js';

export const signal = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('modbus'),
      ...modbusAddress,
      counterRegister: register(),
      partIdRegister: register().optional(),
      bits: counterBits,
      pollMs: range(1, 1000, ' ms', 'a part is seen up to this late; at 1 m/s 5 ms is 5 mm', true).default(5),
    })
    .strict(),
  z
    .object({
      kind: z.literal('opcua'),
      ...opcuaEndpoint,
      counterNode: nodeId(),
      partIdNode: nodeId().optional(),
      bits: counterBits,
      samplingMs: range(0, 1000, ' ms', 'the sampling interval asked of the server; 0: as fast as it can').default(5),
    })
    .strict(),
  /** `<prefix>/<line>/<camera>/trigger`: not fail-safe across a broker outage (docs/actuator.md). */
  z.object({ kind: z.literal('mqtt') }).strict(),
]);

/** `stations[].conveyor:` — how a part travels from the camera to the ejector (src/actuator/conveyor.ts, encoder.ts). */
import { z } from 'zod';
import { range } from '../../config/fields.js';
import { counterBits, modbusAddress, register } from './plc.js';

export const conveyor = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('belt'),
      distanceMm: range(1, 1_000_000, ' mm', 'from the camera\'s part signal to the ejector'),
      speedMmPerS: range(1, 100_000, ' mm/s', 'the belt\'s speed'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('encoder'),
      ...modbusAddress,
      register: register(),
      bits: counterBits,
      pollMs: range(1, 1000, ' ms', 'how often the encoder is read; parts are timed between readings at the measured speed', true).default(5),
      countsToEjector: range(1, 2 ** 31, ' counts', 'how far the encoder advances while a part travels from the camera to the ejector', true),
    })
    .strict(),
]);

/** How the actuator reaches a PLC: a Modbus TCP address or an OPC UA endpoint (signal, encoder and outputs use them). */
import { z } from 'zod';
import { port, range } from '../../config/fields.js';

export const modbusAddress = {
  host: z.string().min(1, 'give the PLC\'s host name or address'),
  port: port().default(502),
  unitId: range(0, 255, '', 'the Modbus unit (slave) id; 1 for most PLCs on TCP', true).default(1),
  timeoutMs: range(10, 10_000, ' ms', 'how long a request waits for the PLC\'s answer').default(200),
};

/** A holding-register address (0-based, as on the wire: register 40001 of the PLC's manual is 0). */
export const register = () => range(0, 65_535, '', 'a holding-register address, 0-based as on the wire (40001 is 0)', true);

/** A counter's width: one register (16 bits) or two, high word first (32). */
export const counterBits = z.union([z.literal(16), z.literal(32)]).default(16);

export const opcuaEndpoint = {
  endpoint: z.string().regex(/^opc\.tcp:\/\/[^/\s]+/, 'use opc.tcp://host:port'),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  securityPolicy: z.enum(['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('Basic256Sha256'),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
};

/** An OPC UA node id as the PLC's address space names it, e.g. `ns=2;s=Line1.Reject`. */
export const nodeId = () => z.string().regex(/^(ns=\d+;)?[isgb]=.+$/, 'write an OPC UA node id, e.g. ns=2;s=Line1.Reject or ns=3;i=1001');

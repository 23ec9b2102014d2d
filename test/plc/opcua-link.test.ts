/** The OPC UA link to a PLC that is not there: said once in the log, down on its state, closed without hanging. */
import { describe, expect, it } from 'vitest';
import { loggerFrom } from '../../src/log.js';
import { OpcuaLink } from '../../src/plc/opcua-link.js';
import { tempDir, until } from '../actuator/fixtures.js';
import { freePort } from '../support/free-port.js';

describe('an OPC UA link to a PLC that does not answer', () => {
  it('should log the link down once while it retries, refuse writes with PLC_UNREACHABLE, and close', async () => {
    const temp = tempDir('opcua-link');
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = loggerFrom((level, msg, fields) => lines.push({ level, msg, fields }));
    const endpoint = `opc.tcp://127.0.0.1:${await freePort()}`;
    const link = new OpcuaLink({ endpoint, securityMode: 'None', securityPolicy: 'Basic256Sha256', pkiDir: `${temp.dir}/pki` }, logger);
    try {
      await until(() => lines.some((l) => l.msg === 'plc: link down, retrying'), () => JSON.stringify(lines), 20_000);
      expect(lines.filter((l) => l.level === 'error')).toEqual([{ level: 'error', msg: 'plc: link down, retrying', fields: { link: `opcua ${endpoint}`, error: 'cannot connect (retrying)' } }]);
      await expect(link.write('ns=1;s=Reject', { type: 'Boolean', value: true })).rejects.toMatchObject({ code: 'PLC_UNREACHABLE' });
    } finally {
      await link.close();
      temp.rm();
    }
  }, 30_000);
});

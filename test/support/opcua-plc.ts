/**
 * An OPC UA PLC for tests: a real node-opcua server on a free loopback port (no security, anonymous, all its
 * certificates in a temporary folder) with the nodes a line needs — a part counter (UInt16) and a part id (UInt32)
 * the test steps, a Boolean reject node and a String record node that log every write with its time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import opcuaClient from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import opcuaServer from 'node-opcua-server';
import { freePort } from './free-port.js';

const { DataType, StatusCodes, Variant, MessageSecurityMode, SecurityPolicy } = opcuaClient;

export const nodes = {
  counter: 'ns=1;s=Line1.PartCounter',
  partId: 'ns=1;s=Line1.PartId',
  reject: 'ns=1;s=Line1.Reject',
  record: 'ns=1;s=Line1.Record',
} as const;

export interface NodeWrite {
  readonly at: number;
  readonly node: 'reject' | 'record';
  readonly value: boolean | string;
}

type Variable = ReturnType<ReturnType<NonNullable<InstanceType<typeof opcuaServer.OPCUAServer>['engine']['addressSpace']>['getOwnNamespace']>['addVariable']>;

export class OpcuaPlc {
  readonly writes: NodeWrite[] = [];
  private counter = 0;
  private counterNode: Variable | undefined;
  private partIdNode: Variable | undefined;

  private constructor(
    private readonly server: InstanceType<typeof opcuaServer.OPCUAServer>,
    private readonly dir: string,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<OpcuaPlc> {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-opcua-plc-'));
    const port = await freePort();
    const server = new opcuaServer.OPCUAServer({
      port,
      hostname: '127.0.0.1',
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'pki'), automaticallyAcceptUnknownCertificate: true }),
      // node-opcua's default for user certificates is in the home folder, which tests must not write to
      userCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'user-pki'), automaticallyAcceptUnknownCertificate: true }),
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
    });
    const plc = new OpcuaPlc(server, dir, `opc.tcp://127.0.0.1:${port}`);
    await server.initialize();
    const space = server.engine.addressSpace!;
    const ns = space.getOwnNamespace();
    const variable = (name: string, dataType: 'UInt16' | 'UInt32' | 'Boolean' | 'String', get: () => unknown, set?: (v: unknown) => void) =>
      ns.addVariable({
        organizedBy: space.rootFolder.objects,
        browseName: name,
        nodeId: `s=Line1.${name}`,
        dataType,
        minimumSamplingInterval: 0,
        value: {
          get: () => new Variant({ dataType: DataType[dataType], value: get() }),
          ...(set && {
            set: (v: { value: unknown }) => {
              set(v.value);
              return StatusCodes.Good;
            },
          }),
        },
      });
    // set from the source: a change is reported to subscribers at once, not at the next sampling
    const plain = (name: string, dataType: 'UInt16' | 'UInt32') =>
      ns.addVariable({ organizedBy: space.rootFolder.objects, browseName: name, nodeId: `s=Line1.${name}`, dataType, minimumSamplingInterval: 0, value: { dataType: DataType[dataType], value: 0 } });
    plc.counterNode = plain('PartCounter', 'UInt16');
    plc.partIdNode = plain('PartId', 'UInt32');
    let reject = false;
    let record = '';
    variable('Reject', 'Boolean', () => reject, (v) => plc.writes.push({ at: Date.now(), node: 'reject', value: (reject = v as boolean) }));
    variable('Record', 'String', () => record, (v) => plc.writes.push({ at: Date.now(), node: 'record', value: (record = v as string) }));
    await server.start();
    return plc;
  }

  /** A part at the camera: its id first, then the counter (the order a PLC must keep). */
  part(partId: number): number {
    this.partIdNode!.setValueFromSource({ dataType: DataType.UInt32, value: partId });
    this.counter = (this.counter + 1) % 65_536;
    this.counterNode!.setValueFromSource({ dataType: DataType.UInt16, value: this.counter });
    return Date.now();
  }

  async close(): Promise<void> {
    await this.server.shutdown(0);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

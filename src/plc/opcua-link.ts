/**
 * One OPC UA session to a PLC (node-opcua-client), for the part counter subscription and the reject node writes.
 *
 * - node-opcua is loaded only when a config names OPC UA (it is large, and it prints a warning about Node's RSA
 *   padding at load).
 * - The first connection is retried in the background until it succeeds or the link is closed; after that
 *   node-opcua reconnects by itself and restores the session and its subscriptions. LinkState follows it.
 * - The client's own certificate (OPC UA has one even for unsecured channels) lives in `pkiDir`, never in the home
 *   folder: a systemd unit has none it can write.
 * - A write the PLC refuses (an unknown node, a wrong type) rejects with OPCUA_NODE naming the node and the status.
 */
import type { ClientSession, ClientSubscription, OPCUAClient } from 'node-opcua-client';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import { LinkState } from './link-state.js';

export interface OpcuaEndpoint {
  /** `opc.tcp://plc:4840`. */
  readonly endpoint: string;
  readonly securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
  /** Used unless securityMode is None. */
  readonly securityPolicy: 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';
  readonly username?: string;
  readonly password?: string;
  /** Where the client keeps its certificate and the servers it trusts. */
  readonly pkiDir: string;
}

type Opcua = typeof import('node-opcua-client');

/** What OPC UA writes take: the node's data type, as the config names it. */
export type OpcuaValue = { readonly type: 'Boolean'; readonly value: boolean } | { readonly type: 'String'; readonly value: string } | { readonly type: 'UInt32'; readonly value: number };

export class OpcuaLink {
  readonly state: LinkState;
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private opcua: Opcua | undefined;
  private closed = false;
  private readonly monitors: (() => void)[] = [];

  constructor(
    private readonly settings: OpcuaEndpoint,
    private readonly logger: Logger,
  ) {
    this.state = new LinkState(`opcua ${settings.endpoint}`, logger);
    // a session the server refuses (credentials, security) leaves the link down, said in the log
    this.open().catch((err: Error) => this.state.set(false, err.message));
  }

  private async open(): Promise<void> {
    const opcua = await import('node-opcua-client');
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    this.opcua = opcua;
    const s = this.settings;
    const client = opcua.OPCUAClient.create({
      applicationName: 'uniad-edge actuator',
      endpointMustExist: false,
      securityMode: opcua.MessageSecurityMode[s.securityMode],
      securityPolicy: s.securityMode === 'None' ? opcua.SecurityPolicy.None : opcua.SecurityPolicy[s.securityPolicy],
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: s.pkiDir, automaticallyAcceptUnknownCertificate: true }),
      keepSessionAlive: true,
      connectionStrategy: { initialDelay: 500, maxDelay: 10_000, maxRetry: Number.MAX_SAFE_INTEGER },
    });
    this.client = client;
    client.on('connection_lost', () => this.state.set(false, 'connection lost'));
    client.on('connection_reestablished', () => this.state.set(true));
    client.on('backoff', (count, delay) => {
      // an attempt failed: said once (LinkState), each retry only at debug
      this.state.set(false, 'cannot connect (retrying)');
      this.logger.debug('opcua: connecting', { endpoint: s.endpoint, attempt: count, nextInMs: delay });
    });
    await client.connect(s.endpoint);
    const session = await client.createSession(s.username === undefined ? undefined : { type: opcua.UserTokenType.UserName, userName: s.username, password: s.password ?? '' });
    if (this.closed) {
      await session.close().catch(() => undefined);
      await client.disconnect();
      return;
    }
    this.session = session;
    this.subscription = opcua.ClientSubscription.create(session, {
      requestedPublishingInterval: 10,
      requestedMaxKeepAliveCount: 20,
      requestedLifetimeCount: 600,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 10,
    });
    this.state.set(true);
    for (const start of this.monitors) start();
  }

  /**
   * Calls `onValue` with the node's value and its source timestamp (epoch ms, when the PLC changed it) on every
   * change the server reports (the first one at once), sampled every `samplingMs`.
   */
  monitor(nodeId: string, samplingMs: number, onValue: (value: unknown, sourceAt: number | undefined) => void): void {
    const start = () => {
      const opcua = this.opcua!;
      const item = opcua.ClientMonitoredItem.create(
        this.subscription!,
        { nodeId, attributeId: opcua.AttributeIds.Value },
        { samplingInterval: samplingMs, queueSize: 100, discardOldest: true },
        opcua.TimestampsToReturn.Both,
      );
      item.on('changed', (dv) => {
        if (dv.statusCode.isGood()) onValue(dv.value.value, dv.sourceTimestamp?.getTime());
        else this.logger.error('opcua: the monitored node reports a bad status', { node: nodeId, status: dv.statusCode.name });
      });
      item.on('err', (message: string) => this.logger.error('opcua: cannot monitor the node', { node: nodeId, error: uniadError('OPCUA_NODE', nodeId, message).message }));
    };
    this.monitors.push(start);
    if (this.subscription) start();
  }

  async read(nodeId: string): Promise<unknown> {
    const { session, opcua } = this.connected();
    const dv = await session.read({ nodeId, attributeId: opcua.AttributeIds.Value });
    if (!dv.statusCode.isGood()) throw uniadError('OPCUA_NODE', nodeId, `read: ${dv.statusCode.name}`);
    return dv.value.value;
  }

  async write(nodeId: string, v: OpcuaValue): Promise<void> {
    const { session, opcua } = this.connected();
    let status;
    try {
      status = await session.write({ nodeId, attributeId: opcua.AttributeIds.Value, value: { value: { dataType: opcua.DataType[v.type], value: v.value } } });
    } catch (err) {
      this.state.set(false, (err as Error).message);
      throw uniadError('PLC_UNREACHABLE', this.state.name, `write ${nodeId}: ${(err as Error).message}`);
    }
    if (!status.isGood()) throw uniadError('OPCUA_NODE', nodeId, `write: ${status.name} (${status.description})`);
  }

  private connected(): { session: ClientSession; opcua: Opcua } {
    if (!this.session || !this.opcua || !this.state.isUp) throw uniadError('PLC_UNREACHABLE', this.state.name, 'no session (connecting)');
    return { session: this.session, opcua: this.opcua };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscription?.terminate().catch(() => undefined);
    await this.session?.close().catch(() => undefined);
    await this.client?.disconnect().catch(() => undefined);
  }
}

/**
 * The page's MQTT connection, relayed through the dashboard's own port (`/mqtt`, WebSocket): the browser speaks MQTT
 * to the server that served it (same origin, so same TLS and the session cookie), and the server connects on to the
 * broker's WebSocket listener with the credential it holds for the logged-in user. The broker's port can stay on
 * loopback, no broker password reaches a browser, and each browser packet passes relay-guard.ts first. What the broker
 * sends goes back unchanged.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from '../types.js';
import { guardConnect, guardPacket, type RelayCredential, type RelayUser } from './relay-guard.js';

/** A browser sends small packets (subscriptions, commands); one that grows past this is not the page. */
const maxPacketBytes = 64 * 1024;

export interface RelayPeer {
  readonly user: RelayUser;
  /** What the relay connects to the broker with; undefined: no credential (an anonymous read-only broker). */
  readonly upstream: RelayCredential | undefined;
  /** Registers the connection with its login; returns what unregisters it. */
  readonly hold: (close: () => void) => () => void;
}

const bytes = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

export class MqttRelay {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketBytes, handleProtocols: (offered) => (offered.has('mqtt') ? 'mqtt' : false) });

  constructor(
    private readonly upstreamUrl: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Takes over an upgrade request the caller has let in. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, peer: RelayPeer): void {
    this.wss.handleUpgrade(req, socket, head, (browser) => this.relay(browser, peer));
  }

  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private relay(browser: WebSocket, peer: RelayPeer): void {
    const who = { user: peer.user.username ?? '(no login)', role: peer.user.role };
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let broker: WebSocket | undefined;
    const early: Buffer[] = [];
    let partial = 0;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      release();
      browser.terminate();
      broker?.terminate();
    };
    const release = peer.hold(close);
    const refuse = (why: string) => {
      if (closed) return;
      this.logger.warn('dashboard: the MQTT relay closed a connection', { ...who, why });
      close();
    };
    const toBroker = (packet: Buffer) => {
      if (broker?.readyState === WebSocket.OPEN) broker.send(packet);
      else early.push(packet);
    };

    parser.on('packet', (packet) => {
      if (closed) return;
      partial = 0;
      const guarded = broker === undefined ? guardConnect(packet, peer.upstream) : guardPacket(packet, peer.user, this.prefix);
      if (!guarded.ok) return refuse(guarded.why);
      if (broker === undefined) broker = this.openBroker(browser, early, close);
      if (guarded.packet.cmd === 'publish') this.logger.info('dashboard: command relayed to the broker', { ...who, topic: guarded.packet.topic });
      toBroker(mqttPacket.generate(guarded.packet));
    });
    parser.on('error', (err: Error) => refuse(`not MQTT 3.1.1: ${err.message}`));
    browser.on('message', (data) => {
      const chunk = bytes(data);
      partial += chunk.length;
      if (partial > maxPacketBytes) return refuse(`a packet of more than ${maxPacketBytes} bytes`);
      // whatever a browser sends ends at most its own connection, never the service
      try {
        parser.parse(chunk);
      } catch (err) {
        refuse(`a packet that cannot be relayed: ${(err as Error).message}`);
      }
    });
    browser.on('close', close);
    browser.on('error', close);
  }

  private openBroker(browser: WebSocket, early: Buffer[], close: () => void): WebSocket {
    const broker = new WebSocket(this.upstreamUrl, 'mqtt');
    broker.on('open', () => {
      for (const p of early.splice(0)) broker.send(p);
    });
    broker.on('message', (data) => {
      if (browser.readyState === WebSocket.OPEN) browser.send(bytes(data));
    });
    broker.on('error', (err) => this.logger.warn('dashboard: the MQTT relay cannot reach the broker', { url: this.upstreamUrl, error: err.message }));
    broker.on('close', close);
    return broker;
  }
}

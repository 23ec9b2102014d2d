/**
 * The embedded MQTT broker (aedes): what `demo` and a config without `mqtt.url` publish to. One aedes instance
 * behind a TCP listener and a WebSocket listener (for the browser dashboard), both bound to `cfg.host`
 * (loopback by default: an edge box should not expose an unauthenticated broker by accident).
 *
 * Every client is authenticated against the accounts of accounts.ts and, given the service's `scope`,
 * authorised by the rule of acl.ts: only the service speaks under the prefix (operators may write the command
 * topics), nobody else may take the service's client id, and a last will is held to the same rule.
 *
 * aedes speaks MQTT 3.1.1 only; clients must connect with `protocolVersion: 4`.
 *
 * Folder broker/: the broker server, its accounts and its ACL. It is the plant's side of MQTT, not the service's: it
 * imports shared modules at src/ only (the command bounds of operator-commands.ts among them), never sinks/ (the
 * service's MQTT client), http/, images/, evidence/, sources/, pipeline/, config.ts or the wiring.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { uniadError } from '../errors.js';
import { commandSpecs, parseCommandJson, parseCommandTopic } from '../operator-commands.js';
import type { Logger, Role } from '../types.js';
import { urlHost } from '../url-host.js';
import { brokerAccounts, type AccountSettings, type Credential } from './accounts.js';
import { mayPublish } from './acl.js';

/** The `embeddedBroker` config section. */
export interface EmbeddedBrokerOptions extends AccountSettings {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly wsPort: number;
  /**
   * What a person changes to move each port, as an error about a port in use names it: the config keys by default;
   * `uniad-edge demo` names its options.
   */
  readonly portSettings?: { readonly mqtt: string; readonly websocket: string };
}

export interface EmbeddedBroker {
  /** `mqtt://host:port` with the port actually bound (cfg.port 0 picks a free one). */
  readonly url: string;
  /** `ws://host:wsPort` for browsers and WebSocket clients. */
  readonly wsUrl: string;
  /** The account the service connects with (configured, or made up for this run). */
  readonly service: Credential;
  /** The read-only account the dashboard connects with. */
  readonly viewer: Credential;
  close(): Promise<void>;
}

/** What the broker protects: the service's topic prefix and its client id. */
export interface BrokerScope {
  readonly prefix: string;
  readonly serviceClientId: string;
}

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3). */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

const refusal = (message: string, returnCode: number) => Object.assign(new Error(message), { returnCode }) as AuthenticateError;

function sameSecret(given: Buffer | string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; compare against itself so a wrong length costs the same time
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length;
}

function listen(server: TcpServer | HttpServer, host: string, port: number, listener: string, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(uniadError('BROKER_LISTEN', listener, host, String(port), err.message, setting));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * A command's JSON with `by` set to the user the broker authenticated, replacing whatever the client claimed: the
 * service logs who changed a threshold or a recipe. `retained`: the command was published retained on a topic where
 * the contract keeps none; it is stamped `"retained": true` (a claim of the client's is dropped): MQTT 3.1.1 clears the
 * retain flag on the way to a subscriber that was already subscribed, so only the broker can tell the service, which
 * refuses it.
 * A payload that is not a bounded JSON object (operator-commands.ts) passes unchanged: the service refuses it.
 */
export function withSender(payload: Buffer | string, username: string, retained = false): Buffer | string {
  const p = parseCommandJson(payload);
  if (!p.ok) return payload;
  const { retained: _claimed, ...doc } = p.doc;
  return Buffer.from(JSON.stringify({ ...doc, by: username, ...(retained ? { retained: true } : {}) }));
}

const closeServer = (server: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

export async function startEmbeddedBroker(cfg: EmbeddedBrokerOptions, logger: Logger, scope?: BrokerScope): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const { accounts, service, viewer, allowAnonymous } = brokerAccounts(cfg, () => randomBytes(24).toString('base64url'));
  /** Role of each authenticated client; anonymous clients have none. */
  const roles = new WeakMap<Client, Role>();
  /** User name of each authenticated client: stamped into the commands it sends. */
  const users = new WeakMap<Client, string>();
  broker.authenticate = (client, user, pass, done) => {
    if (user === undefined && pass === undefined) {
      if (!allowAnonymous) {
        logger.warn('embedded broker: refused an anonymous client (give it a user from embeddedBroker.users, or set embeddedBroker.allowAnonymous)', { clientId: client.id });
        return done(refusal('not authorised', NOT_AUTHORIZED), false);
      }
    } else {
      // compare with every account, so the time taken does not tell which user names exist
      const matches = accounts.filter((a) => sameSecret(user, a.username) && sameSecret(pass, a.password));
      if (matches.length === 0) {
        logger.warn('embedded broker: refused a client with a wrong username or password', { clientId: client.id });
        return done(refusal('bad username or password', BAD_USERNAME_OR_PASSWORD), false);
      }
      roles.set(client, matches[0]!.role);
      users.set(client, matches[0]!.username);
    }
    if (scope && client.id === scope.serviceClientId && roles.get(client) !== 'service') {
      logger.warn("embedded broker: refused a client that is not the service but used the service's client id", { clientId: client.id });
      return done(refusal("the service's client id is reserved", IDENTIFIER_REJECTED), false);
    }
    done(null, true);
  };
  if (scope) {
    broker.authorizePublish = (client, packet, done) => {
      const role = client ? roles.get(client) : undefined;
      if (mayPublish(role, packet.topic, scope.prefix)) {
        // mayPublish refused wildcards: the topic parses as it will reach the service
        const command = client ? parseCommandTopic(packet.topic, scope.prefix) : undefined;
        if (client && command) packet.payload = withSender(packet.payload, users.get(client) ?? '', packet.retain && !commandSpecs[command.kind].retained);
        return done(null);
      }
      logger.warn('embedded broker: refused a publish the client is not allowed (connection closed)', { clientId: client?.id, role: role ?? 'anonymous', topic: packet.topic });
      done(new Error(`${role ?? 'anonymous'} may not publish to ${packet.topic}`));
    };
  }
  broker.on('clientError', (client, err) => logger.debug('embedded broker: client error', { clientId: client.id, error: err.message }));

  // aedes closes its clients on close(), but sockets still in the CONNECT handshake are only ours to end
  const sockets = new Set<Socket>();
  // no Nagle: a verdict goes to the subscribers at once, not after the previous one was acknowledged (sinks/mqtt-link.ts)
  const tcp = createTcpServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const http = createHttpServer((_req, res) => res.writeHead(426).end('MQTT over WebSocket only\n'));
  const wss = new WebSocketServer({ server: http });
  // ws re-emits its HTTP server's errors; a port in use is listen()'s to report (BROKER_LISTEN), not an uncaught exception
  wss.on('error', () => undefined);
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));

  try {
    const settings = cfg.portSettings ?? { mqtt: 'embeddedBroker.port', websocket: 'embeddedBroker.wsPort' };
    const port = await listen(tcp, cfg.host, cfg.port, 'mqtt', settings.mqtt);
    const wsPort = await listen(http, cfg.host, cfg.wsPort, 'websocket', settings.websocket);
    const url = `mqtt://${urlHost(cfg.host)}:${port}`;
    const wsUrl = `ws://${urlHost(cfg.host)}:${wsPort}`;
    logger.info('embedded broker listening', { url, wsUrl, users: accounts.length, allowAnonymous, acl: scope !== undefined });
    let closing: Promise<void> | undefined;
    return {
      url,
      wsUrl,
      service,
      viewer,
      close: () =>
        (closing ??= (async () => {
          await new Promise<void>((resolve) => broker.close(() => resolve()));
          for (const s of sockets) s.destroy();
          for (const c of wss.clients) c.terminate();
          wss.close();
          await Promise.all([closeServer(tcp), closeServer(http)]);
          logger.info('embedded broker closed', { url });
        })()),
    };
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (tcp.listening) await closeServer(tcp);
    throw err;
  }
}

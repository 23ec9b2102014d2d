/**
 * The embedded MQTT broker (aedes): what `demo` and a config without `mqtt.url` publish to. One aedes instance
 * behind a TCP listener and a WebSocket listener (for the browser dashboard), both bound to `cfg.host`
 * (loopback by default: an edge box should not expose an unauthenticated broker by accident).
 *
 * aedes speaks MQTT 3.1.1 only; clients must connect with `protocolVersion: 4`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { EmbeddedBrokerConfig } from '../config.js';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';

export interface EmbeddedBroker {
  /** `mqtt://host:port` with the port actually bound (cfg.port 0 picks a free one). */
  readonly url: string;
  /** `ws://host:wsPort` for browsers and WebSocket clients. */
  readonly wsUrl: string;
  close(): Promise<void>;
}

const BAD_USERNAME_OR_PASSWORD = 4;

function sameSecret(given: Buffer | string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; compare against itself so a wrong length costs the same time
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length;
}

function listen(server: TcpServer | HttpServer, host: string, port: number, listener: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(uniadError('BROKER_LISTEN', listener, host, String(port), err.message));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const closeServer = (server: TcpServer | HttpServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** `[::1]` for IPv6 literals so the host can go into a URL. */
const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startEmbeddedBroker(cfg: EmbeddedBrokerConfig, logger: Logger): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const { username, password } = cfg;
  if (username !== undefined || password !== undefined) {
    broker.authenticate = (_client, user, pass, done) => {
      if (sameSecret(user, username ?? '') && sameSecret(pass, password ?? '')) return done(null, true);
      const err = Object.assign(new Error('bad username or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }) as AuthenticateError;
      logger.warn('embedded broker: refused a client with a wrong username or password', { clientId: _client.id });
      done(err, false);
    };
  }
  broker.on('clientError', (client, err) => logger.debug('embedded broker: client error', { clientId: client.id, error: err.message }));

  // aedes closes its clients on close(), but sockets still in the CONNECT handshake are only ours to end
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const http = createHttpServer((_req, res) => res.writeHead(426).end('MQTT over WebSocket only\n'));
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));

  try {
    const port = await listen(tcp, cfg.host, cfg.port, 'mqtt');
    const wsPort = await listen(http, cfg.host, cfg.wsPort, 'websocket');
    const url = `mqtt://${urlHost(cfg.host)}:${port}`;
    const wsUrl = `ws://${urlHost(cfg.host)}:${wsPort}`;
    logger.info('embedded broker listening', { url, wsUrl, authentication: username !== undefined || password !== undefined });
    let closing: Promise<void> | undefined;
    return {
      url,
      wsUrl,
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

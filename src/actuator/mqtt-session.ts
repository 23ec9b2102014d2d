/**
 * The actuator's MQTT connection: a persistent session (clean session off, a fixed client id), so that the broker
 * keeps its subscriptions and queues the QoS 1 decisions published while it is away (a restart, a network cut), and
 * hands them over when it is back. The tracker dedups by id what comes twice (part-tracker.ts).
 *
 * - Subscribes on every connect, whether the broker kept the session or not: a broker that lost it (the embedded
 *   broker keeps sessions in memory only, until the service restarts) gets the subscriptions again, and a
 *   subscription renewed makes the broker send the retained service status again (MQTT 3.1.1 §3.8.4).
 * - `<prefix>/actuator/<name>` (QoS 1, retained): `online` on every connect, `offline` on close and as the last will
 *   — when the actuator logs in with a user name: an anonymous client may publish nothing on a broker set up as
 *   docs/mqtt-acl.md says, and the embedded broker disconnects a client that tries.
 * - Publishes (the MQTT output) only while connected: a decision sent after a reconnect would reach a PLC when
 *   another part is at the ejector, so an unconnected publish fails instead of being queued.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { LinkState } from '../plc/link-state.js';
import { addressOptions, parseBrokerUrl } from '../sinks/broker-url.js';
import { connectOptions, type BrokerLogin } from '../sinks/connect-options.js';
import { actuatorStatusTopic } from '../sinks/topics.js';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';

export interface SessionSettings {
  readonly url: string;
  readonly login: BrokerLogin;
  readonly prefix: string;
  /** The actuator's name: its default client id `uniad-actuator-<name>` and its status topic. */
  readonly name: string;
  readonly filters: readonly string[];
  readonly logger: Logger;
  readonly reconnectPeriodMs?: number;
}

export type MessageHandler = (topic: string, payload: Buffer, retained: boolean) => void;

const status = (state: 'online' | 'offline', name: string, startedAt: number, reason?: string) => JSON.stringify({ state, actuator: name, startedAt, at: Date.now(), ...(reason && { reason }) });

export class DecisionSession {
  readonly state: LinkState;
  private readonly client: MqttClient;
  private readonly statusTopic: string;
  private readonly startedAt = Date.now();
  /** Whether the actuator publishes its status (see above). */
  private readonly announce: boolean;

  constructor(
    private readonly s: SessionSettings,
    onMessage: MessageHandler,
  ) {
    const address = parseBrokerUrl(s.url);
    this.state = new LinkState(`mqtt ${address.url}`, s.logger);
    this.statusTopic = actuatorStatusTopic(s.prefix, s.name);
    this.announce = s.login.username !== undefined;
    this.client = mqtt.connect({
      ...addressOptions(address),
      ...connectOptions({
        mqtt: s.login,
        protocolVersion: 4,
        will: { topic: this.statusTopic, payload: status('offline', s.name, this.startedAt, 'connection lost') },
        defaultClientId: `uniad-actuator-${s.name}`,
        reconnectPeriodMs: s.reconnectPeriodMs,
      }),
      ...(!this.announce && { will: undefined }),
      // the broker keeps what was published for us while we were away
      clean: false,
      // subscribed on every connect below
      resubscribe: false,
    });
    this.client.on('connect', (connack) => {
      this.state.set(true);
      s.logger.info('mqtt: session', { url: address.url, clientId: this.client.options.clientId, sessionPresent: connack.sessionPresent });
      if (this.announce) this.client.publish(this.statusTopic, status('online', s.name, this.startedAt), { qos: 1, retain: true });
      this.client.subscribeAsync([...s.filters], { qos: 1 }).catch((err: Error) => s.logger.error('mqtt: could not subscribe', { filters: s.filters, error: err.message }));
    });
    this.client.on('close', () => this.state.set(false, 'connection closed'));
    this.client.on('error', (err) => s.logger.error('mqtt: error', { url: address.url, error: err.message }));
    // No message may end the actuator: one that cannot be handled is logged, and the next one is heard.
    this.client.on('message', (topic, payload, packet) => {
      try {
        onMessage(topic, payload, packet.retain);
      } catch (err) {
        s.logger.error('mqtt: a message could not be handled', { topic, bytes: payload.length, error: (err as Error).message });
      }
    });
  }

  /** `listener` on every (re)connect, after the subscriptions were asked for. */
  onConnect(listener: () => void): void {
    this.client.on('connect', () => listener());
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Publishes at QoS 1 now; fails when not connected (see above). */
  async publish(topic: string, payload: string, retain = false): Promise<void> {
    if (!this.client.connected) throw uniadError('MQTT_CONNECT', this.state.name.replace(/^mqtt /, ''), 'not connected: the message is not queued, it would come too late');
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** `offline` (retained) when connected, then a clean disconnect; the broker keeps the session for the next start. */
  async close(timeoutMs = 2000): Promise<void> {
    const delay = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    if (this.client.connected && this.announce) await Promise.race([this.client.publishAsync(this.statusTopic, status('offline', this.s.name, this.startedAt, 'closed'), { qos: 1, retain: true }).catch(() => undefined), delay]);
    await Promise.race([this.client.endAsync(!this.client.connected), delay.then(() => this.client.endAsync(true))]);
  }
}

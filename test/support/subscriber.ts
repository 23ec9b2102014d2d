/**
 * A real MQTT.js subscriber that collects what it receives, for tests against any broker:
 * `const sub = await subscribe(url, ['uniad/#']); await sub.waitFor(10); sub.json('verdict')`.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly qos: number;
  readonly userProperties?: Record<string, string | string[]>;
}

export class Subscriber {
  readonly messages: Received[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain, qos: packet.qos, userProperties: packet.properties?.userProperties });
      for (const w of this.waiters) w();
    });
  }

  /** Messages whose topic ends with `/<suffix>` (e.g. `verdict`, `status/edge`). */
  on(suffix: string): Received[] {
    return this.messages.filter((m) => m.topic.endsWith(`/${suffix}`));
  }

  /** JSON payloads of `on(suffix)`. */
  json<T = Record<string, unknown>>(suffix: string): T[] {
    return this.on(suffix).map((m) => JSON.parse(m.payload.toString('utf8')) as T);
  }

  /** Resolves with the matching messages once at least `count` of them arrived; rejects after `timeoutMs` saying how many did. */
  waitFor(count: number, suffix = '', timeoutMs = 10_000): Promise<Received[]> {
    const matching = () => (suffix ? this.on(suffix) : this.messages);
    return new Promise((resolve, reject) => {
      const check = () => {
        const got = matching();
        if (got.length < count) return false;
        done();
        resolve(got);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`subscriber: ${matching().length} of ${count} messages${suffix ? ` on */${suffix}` : ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** Connects (MQTT 3.1.1 unless `options` say otherwise), subscribes at QoS 1 and returns once subscribed. */
export async function subscribe(url: string, topics: string[], options: IClientOptions = {}): Promise<Subscriber> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 200, ...options });
  const sub = new Subscriber(client);
  await client.subscribeAsync(topics, { qos: 1 });
  return sub;
}

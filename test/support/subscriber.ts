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
  /** MQTT 5 correlation data. */
  readonly correlationData?: Buffer;
}

export class Subscriber {
  readonly messages: Received[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain, qos: packet.qos, userProperties: packet.properties?.userProperties, correlationData: packet.properties?.correlationData });
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
  async waitFor(count: number, suffix = '', timeoutMs = 10_000): Promise<Received[]> {
    const matching = () => (suffix ? this.on(suffix) : this.messages);
    await this.until(() => matching().length >= count, () => `${matching().length} of ${count} messages${suffix ? ` on */${suffix}` : ''}`, timeoutMs);
    return matching();
  }

  /**
   * Resolves once `condition()` holds, checked at every message; rejects after `timeoutMs` saying `what` and the
   * messages received by then, so a wait that fails says what it was waiting for.
   */
  until(condition: () => boolean, what: string | (() => string), timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!condition()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        const seen = [...new Set(this.messages.map((m) => m.topic))].map((t) => `${t} ×${this.messages.filter((m) => m.topic === t).length}`);
        reject(new Error(`subscriber: not within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()} (received ${seen.join(', ') || 'nothing'})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
      waiter();
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
  // a refused subscription must not leave a reconnecting client behind
  await client.subscribeAsync(topics, { qos: 1 }).catch(async (err: Error) => {
    await client.endAsync(true);
    throw err;
  });
  return sub;
}

/**
 * `subscribe`, asked again while the broker refuses the subscription (SUBACK 0x80): a nats-server node does so for
 * a few seconds while its cluster elects new leaders after a node died.
 */
export async function subscribeWhenServed(url: string, topics: string[], timeoutMs = 60_000): Promise<Subscriber> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await subscribe(url, topics, { connectTimeout: timeoutMs });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

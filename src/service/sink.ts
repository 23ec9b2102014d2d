import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { packageVersion } from '../package-root.js';
import { MqttSink } from '../sinks/mqtt-sink.js';
import { DeadLetters } from '../sinks/outbox/dead-letter.js';
import { statePaths } from '../state-dir.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';
import type { LiveModel } from './model.js';
import { openOutboxStore } from './outbox-store.js';

/** Each camera's line, as the status names them (what a fleet view groups by). */
export const cameraLines = (cameras: readonly { readonly id: string; readonly line: string }[]): Record<string, string> => Object.fromEntries(cameras.map((c) => [c.id, c.line]));

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'causes' | 'startedAt'> & { readonly model: LiveModel; readonly broker: EmbeddedBroker | undefined };

/**
 * The MQTT sink, connected to the embedded broker (with its credentials) when it runs, else to `mqtt.url`.
 * Waits for the embedded broker's connection; an external broker that is down at start is not fatal: verdicts queue
 * until it is reachable. Stopping drains the queue, then publishes `offline`.
 */
export const sink: Part<Needs, 'sink', MqttSink> = {
  name: 'sink',
  async start({ cfg, logger, causes, startedAt, model, broker }) {
    // On the embedded broker the service connects with its `service` account (configured, or made up for this run).
    const mqtt = broker ? { ...cfg.mqtt, username: broker.service.username, password: broker.service.password } : cfg.mqtt;
    const info = { node: cfg.node, model: model.loaded.id, provider: model.loaded.description, cameras: cfg.cameras.map((c) => c.id), lines: cameraLines(cfg.cameras), version: packageVersion(), startedAt };
    const store = openOutboxStore(cfg.mqtt.queue, causes, logger);
    let opened: MqttSink;
    try {
      opened = new MqttSink({ mqtt, url: broker?.url, protocolVersion: cfg.mqtt.protocolVersion, info, logger, causes, store, deadLetters: new DeadLetters(statePaths(cfg.stateDir).deadLetter, logger), jetstream: cfg.jetstream });
    } catch (err) {
      // an unreadable TLS file: the queue file is open already
      await store.close();
      throw err;
    }
    if (broker) {
      await opened.link.ready().catch(async (err: unknown) => {
        await opened.close();
        throw err;
      });
    }
    return opened;
  },
  stop: (opened) => opened.close(),
};

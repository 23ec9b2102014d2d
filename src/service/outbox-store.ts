import type { MqttConfig } from '../config.js';
import { DiskStore } from '../sinks/outbox/disk-store.js';
import { MemoryStore } from '../sinks/outbox/memory-store.js';
import type { MessageStore } from '../sinks/outbox/store.js';

/** The offline queue's storage: on disk (survives a restart) or in memory, as `mqtt.queue.store` says. */
export function openOutboxStore(queue: MqttConfig['queue']): MessageStore {
  return queue.store === 'disk' ? new DiskStore({ dir: queue.dir!, max: queue.maxMessages }) : new MemoryStore(queue.maxMessages);
}

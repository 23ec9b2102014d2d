import type { MqttConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { DiskStore } from '../sinks/outbox/disk-store.js';
import { MemoryStore } from '../sinks/outbox/memory-store.js';
import type { MessageStore } from '../sinks/outbox/store.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { Logger } from '../types.js';

/**
 * The offline queue's storage: on disk (survives a restart) or in memory, as `mqtt.queue.store` says. A disk that
 * cannot be written (full) does not stop the service: the queue goes on in memory and the status says `degraded`
 * (QUEUE_DISK) until it is back on disk.
 */
export function openOutboxStore(queue: MqttConfig['queue'], causes: StatusCauses, logger: Logger): MessageStore {
  if (queue.store === 'memory') return new MemoryStore(queue.maxMessages);
  const dir = queue.dir!;
  return new DiskStore({
    dir,
    max: queue.maxMessages,
    onProblem: (problem) => {
      if (problem === undefined) {
        logger.info('mqtt offline queue: back on disk', { dir });
        causes.clear('QUEUE_DISK');
        return;
      }
      const cause = uniadError('QUEUE_DISK', dir, problem);
      logger.error('mqtt offline queue: the disk cannot be written; queueing in memory', { dir, error: problem });
      causes.set(cause);
    },
  });
}

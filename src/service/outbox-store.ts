import type { MqttConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { DiskStore, type QueueDamage } from '../sinks/outbox/disk-store.js';
import { MemoryStore } from '../sinks/outbox/memory-store.js';
import type { MessageStore } from '../sinks/outbox/store.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { Logger } from '../types.js';

/** The verdict id in a queued message's payload (verdict JSON), for what a log line says was lost. */
function verdictId(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function logDamage(damage: QueueDamage, logger: Logger): void {
  const { path, lines, bytes, zeroBytes, messagesLost, lastIntact, setAsideIn } = damage;
  logger.error(`mqtt offline queue: ${lines} damaged line(s) skipped, about ${messagesLost} queued message(s) lost; the rest is replayed`, {
    file: path,
    bytes,
    // a tail of zeros is what a power loss leaves where the file grew but its data never reached the disk
    zeroBytes,
    lastIntactId: lastIntact && verdictId(lastIntact.payload),
    lastIntactTopic: lastIntact?.topic,
    setAsideIn: setAsideIn ?? 'nowhere: that file cannot be written either',
  });
}

/**
 * The offline queue's storage: on disk (survives a restart) or in memory, as `mqtt.queue.store` says. A disk that
 * cannot be written (full, read-only, a file where its folder belongs) does not stop the service: the queue goes on in
 * memory and the status says `degraded` (QUEUE_DISK) until it is back on disk. A queue file that cannot be read is
 * left alone and the run queues in memory (OUTBOX_STORE on the status); damaged lines in it are skipped, logged with
 * what they held.
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
    onUnreadable: (file, why) => {
      const cause = uniadError('OUTBOX_STORE', file, why);
      logger.error('mqtt offline queue: the queue file cannot be read; queueing in memory, the file left as it is', { file, error: why });
      causes.set(cause);
    },
    onDamage: (damage) => logDamage(damage, logger),
  });
}

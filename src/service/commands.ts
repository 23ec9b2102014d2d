import { FeedbackBook } from '../collect/feedback.js';
import { commandEnabled, type Config } from '../config.js';
import type { EvidenceArchive } from '../evidence/archive.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import { statePaths } from '../state-dir.js';
import type { ServiceBase } from './base.js';
import { CommandRegistry, type CommandHandler } from './command-registry.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import type { ModelRegistry } from './registry.js';
import type { Reloader } from './reload.js';

export interface Commands {
  close(): void;
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger'> & { readonly archive: EvidenceArchive | undefined; readonly sink: MqttSink; readonly control: LineControl; readonly reload: Reloader; readonly registry: ModelRegistry };

/**
 * Operator feedback on a verdict (collect/feedback.ts): its frame from the archive into the dataset, once the archive
 * has written it (a reject a moment old may still be on its way to the disk). Refused, with why, when the archive is
 * off: then no frame is kept to learn from.
 */
function feedbackHandler(cfg: Config, logger: ServiceBase['logger'], archive: EvidenceArchive | undefined): CommandHandler<'feedback'> {
  const book = new FeedbackBook({ archiveDir: statePaths(cfg.stateDir).archive, dataset: cfg.dataset });
  return {
    apply: async (target, command, sender) => {
      if (!cfg.archive.enabled) return { ok: false, why: 'the evidence archive is off (archive.enabled: false): no frame is kept to learn from' };
      await archive?.settled(command.verdictId);
      const record = book.give({ ...command, line: target.names['line']!, camera: target.names['camera']! }, sender);
      logger.info('operator feedback taken into the dataset', { ...record, sender: sender.verified ? 'authenticated by the embedded broker' : 'as claimed by the client' });
      return { ok: true, inForce: { verdictId: record.verdictId, kind: record.kind, product: record.product, file: record.file } };
    },
    inForce: () => undefined,
  };
}

/**
 * The operator's commands, each answered on its result topic (command-registry.ts), with the handlers of the parts
 * that own them (listed after every such part): the line control's, the model registry's. Which commands the node
 * takes is `mqtt.commands` of the config in force (a reload changes it). Stopping answers every later command
 * "stopping".
 */
export const commands: Part<Needs, 'commands', Commands> = {
  name: 'commands',
  start({ cfg, logger, archive, sink, control, reload, registry }) {
    let stopping = false;
    const commandRegistry = new CommandRegistry({
      prefix: cfg.mqtt.prefix,
      handlers: { ...control.commands, feedback: feedbackHandler(cfg, logger, archive), promote: registry.promote },
      enabled: (kind) => commandEnabled(reload.current().mqtt.commands, kind),
      stopping: () => stopping,
      verifiedSender: cfg.mqtt.url === undefined,
      reply: (topic, payload, correlationData) => sink.link.publishResult(topic, payload, correlationData),
      clearRetained: (topic) => sink.link.clearRetained(topic),
      logger,
    });
    sink.link.onCommands((message) => commandRegistry.receive(message));
    return { close: () => void (stopping = true) };
  },
  stop: (given) => given.close(),
};

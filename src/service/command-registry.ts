/**
 * Every operator command gets an answer (README, "Commands"): a message on `<command topic>/result`, accepted with
 * the value in force or refused with the reason, with the request's `requestId` (and, on MQTT 5, its correlation
 * data, also on its response topic). One path for every command: the topic names it (operator-commands.ts
 * `commandSpecs`), the payload is bounded and parsed before anything else reads it, a command turned off in the config
 * or published retained where the contract keeps none is refused, then the command's handler decides.
 *
 * A new command is an entry in `commandSpecs` and a handler here (`CommandHandlers` has one per command, so the type
 * checker asks for it); docs/architecture.md, "Adding a command", says the rest.
 */
import { commandSpecs, parseCommand, parseCommandTopic, resultTopic, type CommandFields, type CommandKind, type CommandTarget } from '../operator-commands.js';
import type { CommandMessage } from '../sinks/mqtt-link.js';
import type { Logger } from '../types.js';

/** Who sent a command: the broker-authenticated user, or what a client of an external broker claims. */
export interface Sender {
  readonly by: string;
  /** True when the embedded broker authenticated `by`. */
  readonly verified: boolean;
}

/** A handler's answer: accepted with the value in force now, or refused with why (the value in force stays). */
export type Answer = { readonly ok: true; readonly inForce: unknown } | { readonly ok: false; readonly why: string; readonly inForce?: unknown };

/** One command of the part that owns what it changes. */
export interface CommandHandler<K extends CommandKind> {
  /**
   * Does it, once its topic and fields were parsed (operator-commands.ts); what it throws (or its promise rejects
   * with) is a refusal. A command that takes time (a promotion loads a model) answers when it is done.
   */
  readonly apply: (target: CommandTarget, command: CommandFields<K>, sender: Sender) => Answer | Promise<Answer>;
  /** What is in force now for the target (undefined: nothing, e.g. an unknown camera): every refusal carries it. */
  readonly inForce: (target: CommandTarget) => unknown;
}

/** A handler for every command of operator-commands.ts. */
export type CommandHandlers = { readonly [K in CommandKind]: CommandHandler<K> };

export interface CommandRegistryOptions {
  readonly prefix: string;
  readonly handlers: CommandHandlers;
  /** Whether the config lets this node take `kind` (`mqtt.commands`). */
  readonly enabled: (kind: CommandKind) => boolean;
  /** True once the service stops: a command then changes nothing. */
  readonly stopping?: () => boolean;
  /** True with the embedded broker: it authenticated the sender and stamped `by`. Else `by` is only claimed. */
  readonly verifiedSender: boolean;
  /** Publishes an answer (MqttLink.publishResult). */
  readonly reply: (topic: string, payload: string, correlationData?: Buffer) => void;
  /** Deletes a retained message (MqttLink.clearRetained). */
  readonly clearRetained: (topic: string) => void;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The answer's JSON on the result topic. */
export interface CommandResult {
  readonly command: CommandKind;
  readonly topic: string;
  readonly requestId?: string | number;
  readonly result: 'accepted' | 'refused';
  /** Why it was refused. */
  readonly reason?: string;
  /** The value in force after it (refused: the one that stays), as the command's handler gives it. */
  readonly inForce?: unknown;
  readonly by?: string;
  readonly at: number;
}

/** How the log names a refused command: `<noun> refused`. */
const nouns: { readonly [K in CommandKind]: string } = { threshold: 'threshold change', recipe: 'recipe', feedback: 'feedback', promote: 'promotion' };

export class CommandRegistry {
  private readonly now: () => number;

  constructor(private readonly opts: CommandRegistryOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A message on a command topic: decided and answered. Never throws. */
  receive(message: CommandMessage): void {
    const target = parseCommandTopic(message.topic, this.opts.prefix);
    // An empty message deletes a retained one (ours, when we clear a retained command): not a command.
    if (target === undefined || message.payload.length === 0) return;
    const decided = this.decide(target, message);
    if (!(decided.answer instanceof Promise)) return this.answer(target, message, { ...decided, answer: decided.answer });
    const handler = this.opts.handlers[target.kind] as CommandHandler<CommandKind>;
    void decided.answer.then(
      (answer) => this.answer(target, message, { ...decided, answer }),
      (err: unknown) => this.answer(target, message, { ...decided, answer: { ok: false, why: (err as Error).message, inForce: handler.inForce(target) } }),
    );
  }

  private answer(target: CommandTarget, message: CommandMessage, { answer, requestId, by }: { answer: Answer; requestId?: string | number; by?: string }): void {
    const result: CommandResult = {
      command: target.kind,
      topic: target.topic,
      ...(requestId === undefined ? {} : { requestId }),
      result: answer.ok ? 'accepted' : 'refused',
      ...(answer.ok ? {} : { reason: answer.why }),
      ...(answer.inForce === undefined ? {} : { inForce: answer.inForce }),
      ...(by === undefined ? {} : { by }),
      at: this.now(),
    };
    if (!answer.ok) this.opts.logger.warn(`${nouns[target.kind]} refused; the old value stays`, { topic: target.topic, why: answer.why, ...(by === undefined ? {} : { by }), ...(requestId === undefined ? {} : { requestId }) });
    const payload = JSON.stringify(result);
    this.opts.reply(resultTopic(target.topic), payload, message.correlationData);
    const elsewhere = message.responseTopic;
    if (elsewhere !== undefined && elsewhere !== resultTopic(target.topic)) {
      // Under the prefix only the contract's topics live: an answer there could pose as a verdict or a status.
      if (elsewhere.startsWith(`${this.opts.prefix}/`) || /[+#]/.test(elsewhere)) this.opts.logger.warn('a command named a response topic the service does not answer on; answered on its result topic only', { topic: target.topic, responseTopic: elsewhere });
      else this.opts.reply(elsewhere, payload, message.correlationData);
    }
  }

  private decide(target: CommandTarget, message: CommandMessage): { answer: Answer | Promise<Answer>; requestId?: string | number; by?: string } {
    const handler = this.opts.handlers[target.kind] as CommandHandler<CommandKind>;
    const refused = (why: string): Answer => ({ ok: false, why, inForce: handler.inForce(target) });
    const p = parseCommand(target.kind, message.payload);
    if (!p.ok) return { answer: refused(p.why) };
    const { requestId, by } = p.envelope;
    const answered = (answer: Answer | Promise<Answer>) => ({ answer, requestId, by });
    if (this.opts.stopping?.() === true) return answered(refused('the service is stopping'));
    if (!this.opts.enabled(target.kind)) return answered(refused(`this node does not take ${target.kind} commands (mqtt.commands in its config)`));
    if (!commandSpecs[target.kind].retained && (message.retained || p.envelope.retained === true)) {
      // Replayed at every reconnect and restart, it would undo every later change: cleared, so it is not replayed.
      this.opts.clearRetained(target.topic);
      return answered(refused('it was published retained: a retained command is replayed at every reconnect and restart and would undo later changes (publish it without retain; the service cleared the retained message)'));
    }
    const fields = commandSpecs[target.kind].fields(p.doc);
    if (!fields.ok) return answered(refused(fields.why));
    const sender: Sender = { by: by ?? (this.opts.verifiedSender ? '(unknown user)' : '(not given)'), verified: this.opts.verifiedSender && by !== undefined };
    try {
      // kind, fields and handler belong together: commandSpecs and CommandHandlers are keyed alike
      return answered(handler.apply(target, fields as CommandFields<CommandKind>, sender));
    } catch (err) {
      return answered(refused((err as Error).message));
    }
  }
}

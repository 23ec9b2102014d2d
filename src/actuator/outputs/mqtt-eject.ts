/**
 * Output: MQTT only, for a PLC that subscribes itself. At each part's ejection moment the decision is published on
 * `<prefix>/<line>/<camera>/eject` (QoS 1, not retained), pass or reject, with the pulse length; the hold ("divert
 * all") is the retained `<prefix>/<line>/<camera>/eject/hold` (`{"hold": true|false, "why", "at"}`). There is no
 * coil: `drive` does nothing but fail while the broker is unreachable, so a reject that cannot reach the PLC counts
 * as an output error. The PLC acts on a decision only within its `deadlineAt` + the pulse: a message held up in the
 * network describes a part that has passed.
 */
import { uniadError } from '../../errors.js';
import { ejectHoldTopic, ejectTopic } from '../../sinks/topics.js';
import type { EjectionRecord, RejectOutput } from './output.js';

/** What the MQTT output needs of the actuator's session (mqtt-session.ts). */
export interface Publisher {
  readonly connected: boolean;
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  /** `listener` on every (re)connect. */
  onConnect(listener: () => void): void;
}

export class MqttEjectOutput implements RejectOutput {
  readonly name: string;
  private readonly topic: string;
  private readonly holdTopic: string;
  /** The hold as last set: published again on every reconnect, so a hold set while the broker was away arrives. */
  private held: string | undefined;

  constructor(
    private readonly session: Publisher,
    prefix: string,
    line: string,
    camera: string,
    private readonly pulseMs: number,
  ) {
    this.topic = ejectTopic(prefix, line, camera);
    this.holdTopic = ejectHoldTopic(prefix, line, camera);
    this.name = `mqtt ${this.topic}`;
    session.onConnect(() => {
      if (this.held !== undefined) session.publish(this.holdTopic, this.held, true).catch(() => undefined);
    });
  }

  async drive(): Promise<void> {
    if (!this.session.connected) throw uniadError('MQTT_CONNECT', this.name, 'the broker is unreachable: the PLC cannot hear this decision');
  }

  record(r: EjectionRecord): Promise<void> {
    const { sequence, id, partId, camera, line, reject, reason, decision, source, deadlineAt, firedAt, slackMs } = r;
    return this.session.publish(this.topic, JSON.stringify({ sequence, id, partId, camera, line, reject, reason, decision: decision ?? null, source, deadlineAt: Math.round(deadlineAt), firedAt: Math.round(firedAt), slackMs: slackMs === undefined ? null : Math.round(slackMs), pulseMs: this.pulseMs }));
  }

  hold(on: boolean, why: string): Promise<void> {
    this.held = JSON.stringify({ hold: on, why, at: Date.now() });
    return this.session.publish(this.holdTopic, this.held, true);
  }

  async close(): Promise<void> {}
}

/**
 * Output: a Boolean node of an OPC UA PLC, written true for the pulse and the hold and false after. Optionally every
 * ejection-time decision is also written as JSON to a String node (`recordNode`) for the PLC to count and log.
 */
import type { OpcuaLink } from '../../plc/opcua-link.js';
import type { EjectionRecord, RejectOutput } from './output.js';

export interface OpcuaNodeSettings {
  /** The Boolean node the PLC acts on, e.g. `ns=2;s=Line1.Reject`. */
  readonly node: string;
  readonly recordNode?: string;
}

/** The record as the String node takes it. Pure. */
export function recordJson(r: EjectionRecord): string {
  return JSON.stringify({
    sequence: r.sequence,
    id: r.id,
    partId: r.partId,
    reject: r.reject,
    reason: r.reason,
    decision: r.decision,
    deadlineAt: Math.round(r.deadlineAt),
    firedAt: Math.round(r.firedAt),
    slackMs: r.slackMs === undefined ? null : Math.round(r.slackMs),
    outputOk: r.outputOk ?? null,
  });
}

export class OpcuaNodeOutput implements RejectOutput {
  readonly name: string;

  constructor(
    private readonly link: OpcuaLink,
    private readonly settings: OpcuaNodeSettings,
  ) {
    this.name = `${link.state.name} node ${settings.node}`;
  }

  get state() {
    return this.link.state;
  }

  drive(on: boolean): Promise<void> {
    return this.link.write(this.settings.node, { type: 'Boolean', value: on });
  }

  async record(r: EjectionRecord): Promise<void> {
    if (this.settings.recordNode !== undefined) await this.link.write(this.settings.recordNode, { type: 'String', value: recordJson(r) });
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

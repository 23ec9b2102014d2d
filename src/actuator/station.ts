/**
 * One station: a camera's part signal, the conveyor to its ejector, the part tracker and the output, wired together
 * and accounted for (log line, journal line and metrics for every ejection and every decision that was not applied).
 *
 * The hold ("divert all", docs/actuator.md): the ejector stays in reject while the station cannot tell which parts
 * pass it —
 * - a station with a part signal: while the signal is lost (PLC link down, the broker for MQTT triggers), and
 *   afterwards until the parts that passed the camera meanwhile have passed the ejector (one travel); the same
 *   after the start, as the parts already on the belt were never seen;
 * - an encoder conveyor: while the encoder cannot be read;
 * - a station without a part signal (parts known from their decisions only): while the service is offline or
 *   degraded by a hold cause (service-status.ts), while its status is unknown, and while the broker is unreachable.
 */
import { join } from 'node:path';
import { partDecisionId } from '../part-id.js';
import type { LinkState } from '../plc/link-state.js';
import { ModbusCounter } from '../plc/modbus-counter.js';
import { ModbusLink } from '../plc/modbus-link.js';
import { OpcuaCounter } from '../plc/opcua-counter.js';
import { OpcuaLink } from '../plc/opcua-link.js';
import type { PartSignal, PartSignalSource } from '../plc/part-signal.js';
import { parseTrigger } from '../plc/trigger.js';
import type { Logger } from '../types.js';
import type { StationConfig } from './config/schema.js';
import { beltConveyor, type Conveyor } from './conveyor.js';
import type { PartDecision } from './decision.js';
import { Ejector } from './ejector.js';
import { EncoderPoll, EncoderTrack } from './encoder.js';
import type { Journal } from './journal.js';
import type { ActuatorMetrics, StationState } from './metrics.js';
import type { DecisionSession } from './mqtt-session.js';
import { GpioOutput } from './outputs/gpio.js';
import { ModbusCoilOutput } from './outputs/modbus-coil.js';
import { MqttEjectOutput } from './outputs/mqtt-eject.js';
import { OpcuaNodeOutput } from './outputs/opcua-node.js';
import type { RejectOutput } from './outputs/output.js';
import { PartTracker, type Ejection } from './part-tracker.js';

export interface StationDeps {
  readonly prefix: string;
  readonly session: DecisionSession;
  readonly journal: Journal;
  readonly metrics: ActuatorMetrics;
  readonly logger: Logger;
  /** Where OPC UA clients keep their certificates. */
  readonly pkiDir: string;
  /** How often the hold is re-evaluated. */
  readonly holdCheckMs?: number;
}

async function openOutput(cfg: StationConfig, deps: StationDeps): Promise<RejectOutput> {
  const o = cfg.output;
  switch (o.kind) {
    case 'modbus':
      return new ModbusCoilOutput(new ModbusLink(o, deps.logger), o);
    case 'opcua':
      return new OpcuaNodeOutput(new OpcuaLink({ ...o, pkiDir: join(deps.pkiDir, 'output') }, deps.logger), o);
    case 'gpio':
      return GpioOutput.open(o);
    case 'mqtt':
      return new MqttEjectOutput(deps.session, deps.prefix, cfg.line, cfg.camera, o.pulseMs);
  }
}

/** An MQTT trigger source: fed by the session's messages, up while the session is. */
class TriggerSignal implements PartSignalSource {
  private onPart: ((s: PartSignal) => void) | undefined;
  constructor(readonly state: LinkState) {}
  start(onPart: (s: PartSignal) => void): void {
    this.onPart = onPart;
  }
  push(s: PartSignal): void {
    this.onPart?.(s);
  }
  async close(): Promise<void> {
    this.onPart = undefined;
  }
}

export class Station {
  readonly labels: { readonly camera: string; readonly line: string };
  private readonly tracker: PartTracker;
  private readonly ejector: Ejector;
  private readonly conveyor: Conveyor;
  private readonly encoder: EncoderPoll | undefined;
  private readonly signal: PartSignalSource | undefined;
  private sequence = 0;
  /** The service's status for a station without a part signal: why to hold, '' for none, undefined until heard. */
  private serviceHold: string | undefined;
  /** When the part signal came (back) up: parts that passed the camera before may still be ahead of the ejector. */
  private seeingSince: number | undefined;
  private holdWhy = '';
  private readonly holdTimer: NodeJS.Timeout;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly cfg: StationConfig,
    private readonly output: RejectOutput,
    private readonly deps: StationDeps,
  ) {
    const { logger, metrics } = deps;
    this.labels = { camera: cfg.camera, line: cfg.line };
    const c = cfg.conveyor;
    if (c.kind === 'belt') {
      this.conveyor = beltConveyor(c.distanceMm, c.speedMmPerS);
    } else {
      const track = new EncoderTrack(c.bits, c.countsToEjector);
      this.encoder = new EncoderPoll(new ModbusLink(c, logger), c, track, logger);
      this.conveyor = track;
    }
    this.tracker = new PartTracker({ ...this.labels, conveyor: this.conveyor, leadMs: cfg.output.leadMs, failSafe: cfg.failSafe, onEject: (e) => void this.ejected(e) });
    this.ejector = new Ejector(output, {
      pulseMs: cfg.output.pulseMs,
      onError: (err, on) => {
        metrics.outputError(this.labels);
        logger.error('actuator: the output failed', { ...this.labels, output: output.name, to: on ? 'reject' : 'pass', error: err.message });
      },
    });
    const s = cfg.signal;
    const events = { missed: (n: number) => this.missed(n, 'the part signal was lost while they passed the camera') };
    if (s?.kind === 'modbus') this.signal = new ModbusCounter(new ModbusLink(s, logger), s, logger, events);
    else if (s?.kind === 'opcua') this.signal = new OpcuaCounter(new OpcuaLink({ ...s, pkiDir: join(deps.pkiDir, 'signal') }, logger), s, logger, events);
    else if (s?.kind === 'mqtt') this.signal = new TriggerSignal(deps.session.state);
    this.signal?.state.onChange((up) => (this.seeingSince = up ? Date.now() : undefined));
    if (this.signal?.state.isUp) this.seeingSince = Date.now();
    this.holdTimer = setInterval(() => this.checkHold(), deps.holdCheckMs ?? 50);
  }

  static async start(cfg: StationConfig, deps: StationDeps): Promise<Station> {
    const station = new Station(cfg, await openOutput(cfg, deps), deps);
    station.encoder?.start(() => station.tracker.tick());
    station.signal?.start((s) => station.part(s));
    station.checkHold();
    station.ejector.start();
    return station;
  }

  /** Ids this station ejected before a restart (the journal's). */
  restore(settled: readonly { readonly id: string; readonly decided: boolean }[]): void {
    this.tracker.restore(settled.filter((s) => s.id.startsWith(`${this.cfg.camera}:`)));
  }

  private part(s: PartSignal): void {
    this.deps.metrics.signal(this.labels);
    if (!this.tracker.signal(s, partDecisionId(this.cfg.camera, s.partId))) this.missed(1, 'the conveyor cannot place it (no encoder reading yet)', s.partId);
  }

  private missed(parts: number, why: string, partId?: string): void {
    this.deps.metrics.partsMissed(this.labels, parts);
    this.deps.logger.error('actuator: parts passed the camera unseen; the ejector holds in reject until they passed it', { ...this.labels, parts, partId, why });
    this.deps.journal.write({ kind: 'missed', ...this.labels, parts, partId, why });
  }

  /** A trigger message for this station's camera (MQTT signal only). */
  trigger(payload: Buffer, retained: boolean, receivedAt: number): void {
    if (!(this.signal instanceof TriggerSignal)) return;
    const t = parseTrigger(payload, receivedAt, retained);
    if (!t.ok) {
      this.deps.metrics.invalidMessage('trigger');
      this.deps.logger.warn('actuator: a trigger was refused', { ...this.labels, why: t.why });
      return;
    }
    if (t.clockAhead) this.deps.logger.warn("actuator: a trigger's time lies ahead of this clock (sync the PLC's and this box's clocks with NTP); timed by its arrival", { ...this.labels, partId: t.signal.partId });
    this.signal.push(t.signal);
  }

  decision(d: PartDecision, receivedAt: number): void {
    const { metrics, logger, journal } = this.deps;
    const out = this.tracker.decide(d, receivedAt);
    if (out.slackMs !== undefined && out.fate !== 'duplicate') metrics.decisionSlack(this.labels, out.slackMs);
    if (out.fate === 'applied' || out.fate === 'scheduled') {
      logger.debug('actuator: decision', { ...this.labels, id: d.id, reject: d.reject, fate: out.fate, slackMs: out.slackMs });
      return;
    }
    if (out.fate === 'late') metrics.lateDecision(this.labels);
    else metrics.duplicate(this.labels);
    const fields = { ...this.labels, id: d.id, partId: d.partId, reject: d.reject, decision: d.reason, slackMs: out.slackMs === undefined ? undefined : Math.round(out.slackMs), why: out.why };
    if (out.fate === 'late') logger.warn('actuator: a decision came late and is not applied', fields);
    else logger.info('actuator: a duplicate decision is ignored', fields);
    journal.write({ kind: 'decision', fate: out.fate, ...fields });
  }

  /** The service's retained status, for a station without a part signal. */
  serviceStatus(holdReason: string | undefined): void {
    this.serviceHold = holdReason ?? '';
    this.checkHold();
  }

  private async ejected(e: Ejection): Promise<void> {
    const { metrics, logger, journal } = this.deps;
    const sequence = ++this.sequence;
    const outputOk = e.reject ? await this.ejector.pulse() : undefined;
    const record = { ...e, sequence, outputOk };
    metrics.ejection(record);
    const fields = { ...this.labels, id: e.id, partId: e.partId, reject: e.reject, reason: e.reason, decision: e.decision, source: e.source, slackMs: e.slackMs === undefined ? undefined : Math.round(e.slackMs), outputOk, held: this.ejector.holding || undefined };
    if (outputOk === false) logger.error('actuator: eject: the output did not reach the reject position', fields);
    else if (e.reason === 'fail-safe') logger.warn(`actuator: eject: no decision by the ejection moment, ${e.reject ? 'rejected' : 'PASSED (failSafe: pass)'}`, fields);
    else logger.info('actuator: eject', fields);
    journal.write({ kind: 'ejection', ...record, deadlineAt: Math.round(e.deadlineAt), firedAt: Math.round(e.firedAt), slackMs: fields.slackMs });
    await this.output.record?.(record).catch((err: Error) => {
      metrics.outputError(this.labels);
      logger.error('actuator: the decision record could not be written', { ...this.labels, id: e.id, output: this.output.name, error: err.message });
    });
  }

  /** Why the station must hold now ('' for not). */
  private holdReason(now: number): string {
    const reasons: string[] = [];
    const { session } = this.deps;
    if (this.signal === undefined) {
      if (!session.state.isUp) reasons.push('the broker is unreachable: decisions cannot come');
      else if (this.serviceHold === undefined) reasons.push("the service's status is not known yet");
      else if (this.serviceHold !== '') reasons.push(this.serviceHold);
    } else if (!this.signal.state.isUp) {
      reasons.push(`the part signal is lost (${this.signal.state.name})`);
    } else if (this.seeingSince !== undefined) {
      let end = this.conveyor.ejectorPosition(this.seeingSince);
      if (end === undefined) {
        // an encoder read only since: count the travel from now, which is longer
        this.seeingSince = now;
        end = this.conveyor.ejectorPosition(now);
      }
      if (end === undefined || this.conveyor.msUntil(end, now) > 0) reasons.push('parts may have passed the camera unseen and are not past the ejector yet');
      else this.seeingSince = undefined;
    }
    if (this.encoder && !this.encoder.state.isUp) reasons.push(`the encoder is lost (${this.encoder.state.name})`);
    return reasons.join('; ');
  }

  private checkHold(): void {
    const why = this.holdReason(Date.now());
    if (why === this.holdWhy) return;
    const { logger, journal } = this.deps;
    if (why !== '') logger.warn('actuator: holding the ejector in reject (divert all)', { ...this.labels, why });
    else logger.info('actuator: hold released: parts are tracked one by one again', { ...this.labels, was: this.holdWhy });
    journal.write({ kind: 'hold', ...this.labels, on: why !== '', why: why || this.holdWhy });
    this.holdWhy = why;
    this.ejector.hold(why !== '', why);
  }

  state(): StationState {
    const links: Record<string, boolean> = {};
    if (this.signal) links.signal = this.signal.state.isUp;
    if (this.encoder) links.encoder = this.encoder.state.isUp;
    if (this.output.state) links.output = this.output.state.isUp;
    return { ...this.labels, pending: this.tracker.size, holding: this.ejector.holding, output: this.ejector.position, links };
  }

  /** Stops taking part signals, waits up to `drainMs` for the parts on their way, then releases the output. Once. */
  stop(drainMs: number): Promise<void> {
    return (this.stopping ??= this.drainAndClose(drainMs));
  }

  private async drainAndClose(drainMs: number): Promise<void> {
    await this.signal?.close();
    await Promise.race([this.tracker.drained(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    clearInterval(this.holdTimer);
    this.tracker.close();
    await this.encoder?.close();
    await this.ejector.close();
  }
}

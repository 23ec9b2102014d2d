/**
 * The actuator's Prometheus metrics (prom-client), served on its own `/metrics` (http.ts). Every series of a
 * station exists from the start at 0, so rates and alerts work before the first fail-safe reject.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutputPosition } from './ejector.js';
import type { EjectionRecord } from './outputs/output.js';

export interface StationLabels {
  readonly camera: string;
  readonly line: string;
}

/** Read when Prometheus scrapes. */
export interface StationState extends StationLabels {
  readonly pending: number;
  readonly holding: boolean;
  /** What the output last confirmed it was driven to (`unknown` while a write fails). */
  readonly output: OutputPosition;
  /** Each PLC link of the station by its role (signal, encoder, output), up or down. */
  readonly links: Readonly<Record<string, boolean>>;
}

export interface ActuatorScrape {
  readonly mqttConnected: boolean;
  readonly stations: readonly StationState[];
}

export class ActuatorMetrics {
  readonly registry = new Registry();
  private readonly parts: Counter<'camera' | 'line' | 'decision' | 'reason'>;
  private readonly failSafe: Counter<'camera' | 'line'>;
  private readonly late: Counter<'camera' | 'line'>;
  private readonly duplicates: Counter<'camera' | 'line'>;
  private readonly slack: Histogram<'camera' | 'line'>;
  private readonly outputErrors: Counter<'camera' | 'line'>;
  private readonly missed: Counter<'camera' | 'line'>;
  private readonly signals: Counter<'camera' | 'line'>;
  private readonly invalid: Counter<'kind'>;
  private readonly journalErrors: Counter;

  constructor(stations: readonly StationLabels[], scrape: () => ActuatorScrape) {
    const registers = [this.registry];
    const labelNames = ['camera', 'line'] as const;
    this.parts = new Counter({ name: 'uniad_actuator_parts_total', help: 'Parts at their ejection moment, by what the output did (reject, pass) and why (decided, fail-safe)', labelNames: [...labelNames, 'decision', 'reason'], registers });
    this.failSafe = new Counter({ name: 'uniad_actuator_fail_safe_rejects_total', help: 'Parts rejected because no decision came by their ejection moment', labelNames, registers });
    this.late = new Counter({ name: 'uniad_actuator_late_decisions_total', help: 'Decisions that came after their part\'s ejection moment (never applied)', labelNames, registers });
    this.duplicates = new Counter({ name: 'uniad_actuator_duplicate_decisions_total', help: 'Decisions received again (at-least-once delivery) and ignored', labelNames, registers });
    this.slack = new Histogram({
      name: 'uniad_actuator_decision_slack_seconds',
      help: 'Ejection deadline minus the time the decision reached the actuator (negative: late)',
      labelNames,
      buckets: [-1, -0.1, -0.01, 0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.outputErrors = new Counter({ name: 'uniad_actuator_output_errors_total', help: 'Writes to the output that failed (PLC unreachable, refused, GPIO)', labelNames, registers });
    this.missed = new Counter({ name: 'uniad_actuator_parts_missed_total', help: 'Parts the PLC counted while the actuator could not see them (link down) or could not place on the conveyor', labelNames, registers });
    this.signals = new Counter({ name: 'uniad_actuator_part_signals_total', help: 'Part signals received (PLC counter, OPC UA, MQTT trigger)', labelNames, registers });
    this.invalid = new Counter({ name: 'uniad_actuator_invalid_messages_total', help: 'MQTT messages refused (not a decision or trigger of the contract)', labelNames: ['kind'], registers });
    this.journalErrors = new Counter({ name: 'uniad_actuator_journal_errors_total', help: 'Journal lines that could not be written', registers });
    const gauge = (name: string, help: string, labels: readonly string[], fill: (g: Gauge<string>, s: ActuatorScrape) => void) =>
      new Gauge({
        name,
        help,
        labelNames: labels,
        registers,
        collect() {
          this.reset();
          fill(this, scrape());
        },
      });
    gauge('uniad_actuator_mqtt_connected', '1 while connected to the broker', [], (g, s) => g.set(s.mqttConnected ? 1 : 0));
    gauge('uniad_actuator_parts_pending', 'Parts between the camera and the ejector, waiting for their ejection moment', labelNames, (g, s) => s.stations.forEach((st) => g.set({ camera: st.camera, line: st.line }, st.pending)));
    gauge('uniad_actuator_holding', '1 while the ejector is held in reject ("divert all")', labelNames, (g, s) => s.stations.forEach((st) => g.set({ camera: st.camera, line: st.line }, st.holding ? 1 : 0)));
    gauge('uniad_actuator_output_on', '1 while the output is confirmed in the reject position, 0 while confirmed off; absent while unknown (a write failing)', labelNames, (g, s) =>
      s.stations.forEach((st) => st.output !== 'unknown' && g.set({ camera: st.camera, line: st.line }, st.output === 'on' ? 1 : 0)),
    );
    gauge('uniad_actuator_plc_link_up', '1 while the PLC link (signal, encoder, output) answers', [...labelNames, 'link'], (g, s) =>
      s.stations.forEach((st) => Object.entries(st.links).forEach(([link, up]) => g.set({ camera: st.camera, line: st.line, link }, up ? 1 : 0))),
    );
    for (const labels of stations) {
      for (const decision of ['reject', 'pass']) for (const reason of ['decided', 'fail-safe']) this.parts.inc({ ...labels, decision, reason }, 0);
      for (const c of [this.failSafe, this.late, this.duplicates, this.outputErrors, this.missed, this.signals]) c.inc(labels, 0);
    }
    for (const kind of ['decision', 'trigger']) this.invalid.inc({ kind }, 0);
    collectDefaultMetrics({ register: this.registry });
  }

  ejection(r: EjectionRecord): void {
    const labels = { camera: r.camera, line: r.line };
    this.parts.inc({ ...labels, decision: r.reject ? 'reject' : 'pass', reason: r.reason });
    if (r.reason === 'fail-safe' && r.reject) this.failSafe.inc(labels);
  }

  /** A decision's slack (ms), observed once per decision that reached a part or came late. */
  decisionSlack(labels: StationLabels, slackMs: number): void {
    this.slack.observe(labels, slackMs / 1000);
  }

  lateDecision(labels: StationLabels): void {
    this.late.inc(labels);
  }

  duplicate(labels: StationLabels): void {
    this.duplicates.inc(labels);
  }

  outputError(labels: StationLabels): void {
    this.outputErrors.inc(labels);
  }

  partsMissed(labels: StationLabels, count: number): void {
    this.missed.inc(labels, count);
  }

  signal(labels: StationLabels): void {
    this.signals.inc(labels);
  }

  invalidMessage(kind: 'decision' | 'trigger'): void {
    this.invalid.inc({ kind });
  }

  journalError(): void {
    this.journalErrors.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

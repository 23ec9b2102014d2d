/**
 * The reject actuator, composed (`uniad-edge actuate`): its lock and journal in `<state>/actuator/<name>/`, its
 * metrics, the persistent MQTT session, one Station a configured camera, and the HTTP port; stopped in reverse.
 *
 * Folder actuator/: its own process beside the service. It shares with the service only what names the contract the
 * same way on both sides — the topics (sinks/topics.ts), the part decision id (part-id.ts), the broker URL parser
 * and the MQTT connect options (sinks/broker-url.ts, sinks/connect-options.ts), the PLC part signals (plc/) and
 * the config's field pieces (config/fields.ts) — and never the service's wiring, pipeline/ or sources/
 * (test/support/import-graph.ts holds the rule).
 */
import { join } from 'node:path';
import { statePaths } from '../state-dir.js';
import { takeStateLock, type StateLock } from '../state-lock.js';
import { partTopic, statusTopic, triggerTopic } from '../sinks/topics.js';
import type { Logger } from '../types.js';
import type { ActuatorConfig } from './config/schema.js';
import { parseDecision } from './decision.js';
import { serveActuatorHttp, type ActuatorHttp } from './http.js';
import { Journal } from './journal.js';
import { ActuatorMetrics, type ActuatorScrape } from './metrics.js';
import { DecisionSession } from './mqtt-session.js';
import { serviceHoldReason } from './service-status.js';
import { Station } from './station.js';

export interface Actuator {
  /** `http://host:port` of /metrics and /healthz; undefined when metrics.enabled is false. */
  readonly httpUrl: string | undefined;
  readonly journalPath: string;
  readonly state: () => ActuatorScrape;
  /** Stops taking part signals, lets the parts on their way reach the ejector (at most `drainMs`), closes everything. */
  stop(drainMs?: number): Promise<void>;
}

export interface ActuatorOptions {
  readonly logger: Logger;
  readonly reconnectPeriodMs?: number;
}

/** The actuator's folder in the state folder. */
export const actuatorDir = (cfg: Pick<ActuatorConfig, 'stateDir' | 'name'>): string => join(cfg.stateDir, 'actuator', cfg.name);

export async function startActuator(cfg: ActuatorConfig, { logger, reconnectPeriodMs }: ActuatorOptions): Promise<Actuator> {
  const dir = actuatorDir(cfg);
  const lock: StateLock = takeStateLock(statePaths(dir).lock);
  const cleanup: (() => Promise<void>)[] = [async () => lock.release()];
  try {
    const prefix = cfg.mqtt.prefix;
    const labels = cfg.stations.map((s) => ({ camera: s.camera, line: s.line }));
    const stations: Station[] = [];
    const state = (): ActuatorScrape => ({ mqttConnected: session.connected, stations: stations.map((s) => s.state()) });
    const metrics = new ActuatorMetrics(labels, state);
    const journal = new Journal(dir, cfg.journal.maxBytes, logger, () => metrics.journalError());
    for (const s of cfg.stations) {
      if (s.failSafe === 'pass') logger.error('actuator: failSafe is "pass": parts with no decision by their ejection moment PASS UNINSPECTED (remove failSafe: pass to reject them)', { camera: s.camera, line: s.line });
    }

    const status = statusTopic(prefix, cfg.service.node);
    /** What each subscribed topic is handed to; filled once the stations are open. */
    const handlers = new Map<string, (payload: Buffer, retained: boolean, at: number) => void>();
    handlers.set(status, (payload) => {
      const reason = serviceHoldReason(payload, cfg.service.node, cfg.service.holdCauses);
      for (const s of stations.filter((st) => st.cfg.signal === undefined)) s.serviceStatus(reason);
    });
    const route = (topic: string, payload: Buffer, retained: boolean, at: number) => handlers.get(topic)?.(payload, retained, at);
    // the broker may hand over queued messages before the stations are open: they wait here
    let early: [string, Buffer, boolean, number][] | undefined = [];
    const filters = [status, ...cfg.stations.flatMap((s) => [partTopic(prefix, s.line, s.camera), ...(s.signal?.kind === 'mqtt' ? [triggerTopic(prefix, s.line, s.camera)] : [])])];
    const session = new DecisionSession(
      { url: cfg.mqtt.url, login: cfg.mqtt, prefix, name: cfg.name, filters, logger, reconnectPeriodMs },
      (topic, payload, retained) => (early ? early.push([topic, payload, retained, Date.now()]) : route(topic, payload, retained, Date.now())),
    );
    cleanup.push(() => session.close());

    const deps = { prefix, session, journal, metrics, logger, pkiDir: join(dir, 'opcua-pki') };
    for (const s of cfg.stations) {
      const station = await Station.start(s, deps);
      stations.push(station);
      // a later station that cannot start (a GPIO chip that is not there) must not leave this one's links open
      cleanup.push(() => station.stop(0));
    }
    const settled = journal.ejections();
    for (const station of stations) {
      station.restore(settled);
      const decisions = partTopic(prefix, station.cfg.line, station.cfg.camera);
      handlers.set(decisions, (payload, _retained, at) => {
        const d = parseDecision(payload);
        if (d.ok) return station.decision(d.decision, at);
        metrics.invalidMessage('decision');
        logger.warn('actuator: a decision was refused', { topic: decisions, why: d.why });
      });
      if (station.cfg.signal?.kind === 'mqtt') handlers.set(triggerTopic(prefix, station.cfg.line, station.cfg.camera), (payload, retained, at) => station.trigger(payload, retained, at));
    }
    for (const [topic, payload, retained, at] of early) route(topic, payload, retained, at);
    early = undefined;

    let http: ActuatorHttp | undefined;
    if (cfg.metrics.enabled) {
      http = await serveActuatorHttp(cfg.metrics.host, cfg.metrics.port, metrics, state);
      cleanup.push(() => http!.close());
    }
    logger.info('actuator: started', { name: cfg.name, stations: cfg.stations.map((s) => `${s.line}/${s.camera}: ${s.signal?.kind ?? 'no'} signal, ${s.conveyor.kind}, ${s.output.kind} output`), journal: journal.path, http: http?.url });

    let stopping: Promise<void> | undefined;
    return {
      httpUrl: http?.url,
      journalPath: journal.path,
      state,
      stop: (drainMs = 30_000) =>
        (stopping ??= (async () => {
          await Promise.all(stations.map((s) => s.stop(drainMs)));
          for (const close of cleanup.reverse()) await close();
          logger.info('actuator: stopped', { name: cfg.name });
        })()),
    };
  } catch (err) {
    for (const close of cleanup.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

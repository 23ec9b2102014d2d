import type { Config } from '../config.js';
import type { SupervisorStats } from '../pipeline/supervisor.js';
import type { MqttSinkStats } from '../sinks/mqtt-sink.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { CameraEvent } from '../sources/events.js';
import type { Notifier } from '../systemd/notify.js';
import type { Decision, Logger, Reason } from '../types.js';

/** What a person changes to move each port the service listens on, as its errors name it. */
export interface PortSettings {
  readonly broker: string;
  readonly brokerWs: string;
  readonly dashboard: string;
}

/** The config's keys: what `run` names. */
export const configPortSettings: PortSettings = { broker: 'embeddedBroker.port', brokerWs: 'embeddedBroker.wsPort', dashboard: 'dashboard.port' };

export interface ServiceOptions {
  readonly logger: Logger;
  /** Default: the config's keys (configPortSettings); `uniad-edge demo` names its options. */
  readonly portSettings?: PortSettings;
  /** The status causes of the run, with any the caller found before the start (a state folder without its lock). */
  readonly causes?: StatusCauses;
  /** Every decision, after it was handed to the MQTT sink. */
  readonly onDecision?: (decision: Decision) => void;
  readonly onCameraEvent?: (event: CameraEvent) => void;
  /** systemd: READY once the model is loaded and cameras started, WATCHDOG while the event loop answers, STATUS lines. */
  readonly notifier?: Notifier;
}

/** Frames taken and their decisions by reason, since the start. */
export interface InspectionCounts {
  readonly frames: number;
  readonly decisions: Readonly<Record<Reason, number>>;
}

export interface ServiceCounts extends InspectionCounts {
  readonly mqtt?: MqttSinkStats;
  readonly inference?: SupervisorStats;
  /** Capture restarts per camera since the start. */
  readonly cameraRestarts?: Readonly<Record<string, number>>;
  /** Frames per camera whose model output was not a finite number (each got an `error` verdict). */
  readonly nonFinite?: Readonly<Record<string, number>>;
}

export interface Service {
  readonly modelId: string;
  readonly provider: string;
  /** The embedded broker's URLs, when it runs. */
  readonly brokerUrl?: string;
  readonly brokerWsUrl?: string;
  /** The live dashboard's URL, when it runs. */
  readonly dashboardUrl?: string;
  /** Resolves once everything has stopped. */
  readonly stopped: Promise<void>;
  counts(): ServiceCounts;
  /** Stops cameras, decides and publishes what is in flight, publishes `offline`, closes everything. Idempotent. */
  stop(reason: string): Promise<void>;
  /**
   * Applies a reloaded config (SIGHUP) without stopping the line (service/reload.ts): cameras added, removed or
   * restarted alone, products, thresholds, thresholds files, the shadow model, the commands taken, and the model when
   * its path or files changed (swapped, with its own thresholds); what needs a restart is named in the log. All or
   * nothing: when anything is invalid the old values stay (logged). Resolves to whether it applied.
   */
  reload(next: Config): Promise<boolean>;
  /** A reload asked for (SIGHUP) whose config could not be read: said where `uniad-edge models` waits for the answer. */
  reloadRefused(why: string): void;
}
